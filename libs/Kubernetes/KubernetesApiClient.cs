using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;

namespace InferenceMesh.Kubernetes;

/// <summary>A small hand-written Kubernetes REST client: list (with paging) and watch (newline-delimited JSON events)
/// of any resource path, with bearer-token auth.</summary>
public sealed class KubernetesApiClient
{
    private static readonly TimeSpan TokenRefresh = TimeSpan.FromMinutes(1);
    private readonly HttpClient _http;
    private readonly string? _tokenPath;
    private readonly TimeProvider _time;
    private readonly Lock _tokenLock = new();
    private string? _token;
    private long _tokenReadAt;

    /// <summary>Creates a client over <paramref name="http"/> (whose BaseAddress is the API server).</summary>
    public KubernetesApiClient(HttpClient http, KubernetesConnection connection, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(connection);
        _http = http;
        _http.BaseAddress ??= connection.BaseAddress;
        _tokenPath = connection.TokenPath;
        Namespace = connection.Namespace;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The namespace resources are read from.</summary>
    public string Namespace { get; }

    /// <summary>Path of namespaced core pods.</summary>
    public string PodsPath => $"api/v1/namespaces/{Uri.EscapeDataString(Namespace)}/pods";

    /// <summary>Path of a namespaced custom resource collection.</summary>
    public string CustomResourcePath(string group, string version, string plural) =>
        $"apis/{group}/{version}/namespaces/{Uri.EscapeDataString(Namespace)}/{plural}";

    /// <summary>Lists every object of <paramref name="path"/>, following <c>continue</c> tokens.</summary>
    public async Task<KubernetesList> ListAsync(string path, string? labelSelector, CancellationToken cancellationToken)
    {
        var items = new List<JsonElement>();
        string? continueToken = null;
        string resourceVersion;
        do
        {
            var url = new StringBuilder(path).Append("?limit=500");
            if (!string.IsNullOrEmpty(labelSelector))
                url.Append("&labelSelector=").Append(Uri.EscapeDataString(labelSelector));
            if (continueToken is not null)
                url.Append("&continue=").Append(Uri.EscapeDataString(continueToken));
            using var request = NewRequest(url.ToString());
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            using var doc = await JsonDocument.ParseAsync(body, cancellationToken: cancellationToken).ConfigureAwait(false);
            var root = doc.RootElement;
            if (root.TryGetProperty("items", out var list) && list.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in list.EnumerateArray())
                    items.Add(item.Clone());
            }
            resourceVersion = string.Empty;
            continueToken = null;
            if (root.TryGetProperty("metadata", out var meta) && meta.ValueKind == JsonValueKind.Object)
            {
                resourceVersion = Json.GetString(meta, "resourceVersion") ?? string.Empty;
                var next = Json.GetString(meta, "continue");
                continueToken = string.IsNullOrEmpty(next) ? null : next;
            }
        }
        while (continueToken is not null);
        return new KubernetesList(items, resourceVersion);
    }

    /// <summary>Streams watch events of <paramref name="path"/> from <paramref name="resourceVersion"/> until the server ends the
    /// stream or <paramref name="cancellationToken"/> fires. HTTP errors throw <see cref="KubernetesApiException"/> (410 = relist).</summary>
    public async IAsyncEnumerable<WatchEvent> WatchAsync(string path, string? labelSelector, string resourceVersion, TimeSpan timeout,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var url = new StringBuilder(path).Append("?watch=true&allowWatchBookmarks=true");
        if (!string.IsNullOrEmpty(resourceVersion))
            url.Append("&resourceVersion=").Append(Uri.EscapeDataString(resourceVersion));
        if (!string.IsNullOrEmpty(labelSelector))
            url.Append("&labelSelector=").Append(Uri.EscapeDataString(labelSelector));
        url.Append("&timeoutSeconds=").Append((int)Math.Max(1, timeout.TotalSeconds));
        using var request = NewRequest(url.ToString());
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        await EnsureSuccessAsync(response, cancellationToken).ConfigureAwait(false);
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        using var reader = new StreamReader(body, Encoding.UTF8);
        while (true)
        {
            var line = await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false);
            if (line is null)
                yield break;
            if (line.Length == 0)
                continue;
            yield return ParseEvent(line);
        }
    }

    /// <summary>Parses one watch line: <c>{"type":"ADDED","object":{...}}</c>.</summary>
    public static WatchEvent ParseEvent(string line)
    {
        using var doc = JsonDocument.Parse(line);
        var root = doc.RootElement;
        var type = Json.GetString(root, "type") switch
        {
            "ADDED" => WatchEventType.Added,
            "MODIFIED" => WatchEventType.Modified,
            "DELETED" => WatchEventType.Deleted,
            "BOOKMARK" => WatchEventType.Bookmark,
            "ERROR" => WatchEventType.Error,
            var other => throw new JsonException($"unknown watch event type '{other}'"),
        };
        var obj = root.TryGetProperty("object", out var o) ? o.Clone() : default;
        return new WatchEvent(type, obj);
    }

    private HttpRequestMessage NewRequest(string relativeUrl)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri(relativeUrl, UriKind.Relative));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        var token = GetToken();
        if (token is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }

    private string? GetToken()
    {
        if (_tokenPath is null)
            return null;
        lock (_tokenLock)
        {
            var now = _time.GetTimestamp();
            if (_token is null || _time.GetElapsedTime(_tokenReadAt, now) > TokenRefresh)
            {
                _token = File.ReadAllText(_tokenPath).Trim();
                _tokenReadAt = now;
            }
            return _token;
        }
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
            return;
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        string? message = null;
        try
        {
            using var doc = JsonDocument.Parse(text);
            message = Json.GetString(doc.RootElement, "message");
        }
        catch (JsonException)
        {
            // Not a Status object; the raw text is the best explanation available.
        }
        message ??= text.Length > 300 ? text[..300] : text;
        throw new KubernetesApiException(response.StatusCode,
            $"{(int)response.StatusCode} {response.ReasonPhrase} from {response.RequestMessage?.RequestUri}: {message}");
    }

    /// <summary>The exception an ERROR watch event stands for (its object is a Status with <c>code</c>).</summary>
    public static KubernetesApiException ErrorFromStatus(JsonElement status)
    {
        var code = status.ValueKind == JsonValueKind.Object && status.TryGetProperty("code", out var c) && c.TryGetInt32(out var n)
            ? (HttpStatusCode)n
            : HttpStatusCode.InternalServerError;
        var message = status.ValueKind == JsonValueKind.Object ? Json.GetString(status, "message") : null;
        return new KubernetesApiException(code, $"watch ERROR event {(int)code}: {message ?? "no message"}");
    }
}
