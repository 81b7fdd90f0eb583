using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Http.Headers;
using Google.Protobuf;

namespace InferenceMesh.Grpc;

/// <summary>The client side of one streaming gRPC call over HttpClient h2c (SocketsHttpHandler, HTTP/2 prior knowledge):
/// requests are pushed through a streaming request body while responses are read. Disposing before the end resets
/// the stream (the server sees RequestAborted).</summary>
public sealed class GrpcDuplexCall<TRequest, TResponse> : IAsyncDisposable
    where TRequest : class, IMessage<TRequest>
    where TResponse : class, IMessage<TResponse>
{
    private readonly PushStreamContent _content = new(GrpcProtocol.ContentType);
    private readonly CancellationTokenSource _cts;
    private readonly Task<HttpResponseMessage> _responseTask;
    private readonly MessageParser<TResponse> _parser;
    private readonly ArrayBufferWriter<byte> _buffer = new(4096);
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private GrpcMessageReader<TResponse>? _reader;
    private HttpResponseMessage? _response;
    private bool _finished;

    private GrpcDuplexCall(HttpMessageInvoker invoker, HttpRequestMessage request, MessageParser<TResponse> parser, CancellationToken cancellationToken)
    {
        _parser = parser;
        _cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        request.Content = _content;
        _responseTask = invoker.SendAsync(request, _cts.Token);
    }

    /// <summary>The final status once the response has been read to its end.</summary>
    public GrpcStatusCode? Status { get; private set; }

    /// <summary>The decoded <c>grpc-message</c> of the final status.</summary>
    public string? StatusMessage { get; private set; }

    /// <summary>Response headers (available after the first <see cref="ReadAsync"/>).</summary>
    public HttpResponseHeaders? ResponseHeaders => _response?.Headers;

#pragma warning disable CA1000 // Called only through GrpcClientFactory.StartDuplex, which infers the type arguments.
    internal static GrpcDuplexCall<TRequest, TResponse> Start(
        HttpMessageInvoker invoker,
        Uri address,
        string path,
        MessageParser<TResponse> parser,
        TimeSpan? timeout = null,
        IEnumerable<KeyValuePair<string, string>>? headers = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(invoker);
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(address, path))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Headers.TE.Add(new TransferCodingWithQualityHeaderValue("trailers"));
        if (timeout is { } t)
            request.Headers.TryAddWithoutValidation(GrpcProtocol.TimeoutHeader, GrpcTimeout.Format(t));
        if (headers is not null)
        {
            foreach (var (k, v) in headers)
                request.Headers.TryAddWithoutValidation(k, v);
        }
        return new GrpcDuplexCall<TRequest, TResponse>(invoker, request, parser, cancellationToken);
    }
#pragma warning restore CA1000

    /// <summary>Sends one request message (flushed at once).</summary>
    public async ValueTask WriteAsync(TRequest message, CancellationToken cancellationToken = default)
    {
        var streamTask = _content.Stream;
        if (!streamTask.IsCompleted)
        {
            // A call that fails to connect never opens its request body: surface that failure instead of waiting.
            var first = await Task.WhenAny(streamTask, _responseTask).WaitAsync(cancellationToken).ConfigureAwait(false);
            if (first != streamTask && _responseTask.IsFaulted)
                await AwaitResponseAsync(cancellationToken).ConfigureAwait(false);
        }
        var stream = await streamTask.WaitAsync(cancellationToken).ConfigureAwait(false);
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _buffer.ResetWrittenCount();
            GrpcFraming.WriteMessage(_buffer, message);
            await stream.WriteAsync(_buffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
            await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Half-closes the request side (END_STREAM); responses can still be read.</summary>
    public void CompleteRequest() => _content.Complete();

    /// <summary>The next response, or null when the server ended the call with OK.</summary>
    /// <exception cref="GrpcException">The server ended the call with a non-OK status.</exception>
    public async ValueTask<TResponse?> ReadAsync(CancellationToken cancellationToken = default)
    {
        if (_finished)
            return null;
        if (_reader is null)
        {
            _response = await AwaitResponseAsync(cancellationToken).ConfigureAwait(false);
            if (_response.StatusCode != HttpStatusCode.OK)
                throw new GrpcException(GrpcStatusCode.Unknown, $"HTTP status {(int)_response.StatusCode} from gRPC server");
            if (TryGetStatus(_response.Headers, out var s, out var m))
            {
                // Trailers-only response.
                _content.Complete();
                return Finish(s, m);
            }
            var body = await _response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            _reader = new GrpcMessageReader<TResponse>(PipeReader.Create(body), _parser);
        }
        var message = await _reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        if (message is not null)
            return message;
        _content.Complete();
        if (!TryGetStatus(_response!.TrailingHeaders, out var status, out var text))
            throw new GrpcException(GrpcStatusCode.Internal, "response ended without grpc-status");
        return Finish(status, text);
    }

    private async Task<HttpResponseMessage> AwaitResponseAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _responseTask.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw new GrpcException(GrpcStatusCode.Unavailable, "gRPC server unreachable: " + ex.Message);
        }
    }

    private TResponse? Finish(GrpcStatusCode status, string? message)
    {
        _finished = true;
        Status = status;
        StatusMessage = message;
        if (status != GrpcStatusCode.Ok)
            throw new GrpcException(status, message ?? status.ToString());
        return null;
    }

    private static bool TryGetStatus(HttpHeaders headers, out GrpcStatusCode status, out string? message)
    {
        status = GrpcStatusCode.Unknown;
        message = null;
        if (!headers.TryGetValues(GrpcProtocol.StatusHeader, out var values))
            return false;
        var first = values.FirstOrDefault();
        if (first is null || !int.TryParse(first, System.Globalization.CultureInfo.InvariantCulture, out var code))
            return false;
        status = (GrpcStatusCode)code;
        if (headers.TryGetValues(GrpcProtocol.MessageHeader, out var messages))
            message = GrpcPercentEncoding.Decode(messages.FirstOrDefault() ?? "");
        return true;
    }

    /// <summary>Resets the stream if it has not finished, and frees the call.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_finished)
            await _cts.CancelAsync().ConfigureAwait(false);
        _content.Complete();
        try
        {
            using var r = await _responseTask.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or HttpRequestException)
        {
            // The call was reset or failed; nothing more to release.
        }
        _response?.Dispose();
        _cts.Dispose();
        _writeLock.Dispose();
    }
}
