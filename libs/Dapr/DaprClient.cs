using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace InferenceMesh.Dapr;

/// <summary>A small client of the Dapr sidecar's HTTP API v1.0 (state, publish, invoke, health) over plain <see cref="HttpClient"/>.</summary>
public sealed partial class DaprClient : IDisposable
{
    internal const string ApiTokenHeader = "dapr-api-token";
    private static readonly MediaTypeHeaderValue JsonMediaType = new("application/json") { CharSet = "utf-8" };

    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly string _apiToken;
    private readonly TimeSpan _timeout;

    /// <summary>Uses <paramref name="httpClient"/> (not disposed by this client) with <paramref name="options"/>; unset options come from the environment.</summary>
    public DaprClient(HttpClient httpClient, DaprClientOptions options)
        : this(httpClient, options, ownsHttp: false)
    {
    }

    private DaprClient(HttpClient httpClient, DaprClientOptions options, bool ownsHttp)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        ArgumentNullException.ThrowIfNull(options);
        _http = httpClient;
        _ownsHttp = ownsHttp;
        var endpoint = options.HttpEndpoint ?? DaprClientOptions.DefaultHttpEndpoint();
        Endpoint = new Uri(endpoint.EndsWith('/') ? endpoint : endpoint + "/", UriKind.Absolute);
        _apiToken = options.ApiToken ?? string.Empty;
        _timeout = TimeSpan.FromSeconds(options.RequestTimeoutSeconds);
    }

    /// <summary>The sidecar's HTTP address (always ends with '/').</summary>
    public Uri Endpoint { get; }

    /// <summary>A client with its own connection pool, for hosts without dependency injection.</summary>
    public static DaprClient Create(DaprClientOptions options)
    {
        var handler = new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            AutomaticDecompression = DecompressionMethods.None,
            UseProxy = false,
        };
        return new DaprClient(new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan }, options, ownsHttp: true);
    }

    public void Dispose()
    {
        if (_ownsHttp)
            _http.Dispose();
    }

    private HttpRequestMessage NewRequest(HttpMethod method, string relative)
    {
        var request = new HttpRequestMessage(method, new Uri(Endpoint, relative));
        if (_apiToken.Length > 0)
            request.Headers.TryAddWithoutValidation(ApiTokenHeader, _apiToken);
        return request;
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_timeout);
        try
        {
            return await _http.SendAsync(request, completion, timeout.Token).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw new DaprApiException($"Dapr sidecar at {Endpoint} unreachable: {ex.Message}", 0, "ERR_SIDECAR_UNREACHABLE", ex);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new DaprApiException($"Dapr call {request.Method} {request.RequestUri?.AbsolutePath} timed out after {_timeout.TotalSeconds:0} s", HttpStatusCode.RequestTimeout, "ERR_TIMEOUT", ex);
        }
    }

    private static ReadOnlyMemoryContent JsonContent(ArrayBufferWriter<byte> buffer)
    {
        var content = new ReadOnlyMemoryContent(buffer.WrittenMemory);
        content.Headers.ContentType = JsonMediaType;
        return content;
    }

    /// <summary>Reads Dapr's <c>{"errorCode","message"}</c> error body and throws the matching typed exception.</summary>
    private static async Task<DaprApiException> ErrorAsync(HttpResponseMessage response, string operation, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        var (errorCode, message) = ParseError(body);
        var text = $"Dapr {operation} failed: {(int)response.StatusCode} {errorCode ?? "(no error code)"}: {message ?? Truncate(body)}";
        return response.StatusCode == HttpStatusCode.Conflict
            ? new DaprETagMismatchException(text, errorCode)
            : new DaprApiException(text, response.StatusCode, errorCode);
    }

    internal static (string? ErrorCode, string? Message) ParseError(ReadOnlySpan<byte> body)
    {
        if (body.IsEmpty)
            return (null, null);
        try
        {
            var reader = new Utf8JsonReader(body);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                return (null, null);
            string? code = null, message = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isCode = reader.ValueTextEquals("errorCode"u8);
                var isMessage = !isCode && reader.ValueTextEquals("message"u8);
                reader.Read();
                if (reader.TokenType == JsonTokenType.String && (isCode || isMessage))
                {
                    if (isCode)
                        code = reader.GetString();
                    else
                        message = reader.GetString();
                }
                else
                {
                    reader.Skip();
                }
            }
            return (code, message);
        }
        catch (JsonException)
        {
            return (null, null);
        }
    }

    internal static string Truncate(ReadOnlySpan<byte> body) =>
        Encoding.UTF8.GetString(body.Length > 4096 ? body[..4096] : body);

    private static string Escape(string segment) => Uri.EscapeDataString(segment);
}
