using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Net;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Net.Client;
using InferenceMesh.Contracts;
using InferenceMesh.Grpc;
using InferenceMesh.Grpc.Envoy.Config.Core.V3;
using InferenceMesh.Grpc.Envoy.Extensions.Filters.Http.ExtProc.V3;
using InferenceMesh.Grpc.Envoy.Service.ExtProc.V3;
using Microsoft.Extensions.Options;
using Call = Grpc.Core.AsyncDuplexStreamingCall<InferenceMesh.Grpc.Envoy.Service.ExtProc.V3.ProcessingRequest, InferenceMesh.Grpc.Envoy.Service.ExtProc.V3.ProcessingResponse>;
using HttpHeaders = InferenceMesh.Grpc.Envoy.Service.ExtProc.V3.HttpHeaders;
using RpcException = Grpc.Core.RpcException;
using Status = Grpc.Core.Status;
using StatusCode = Grpc.Core.StatusCode;

namespace InferenceMesh.Gateway;

/// <summary>Plays Envoy's part for one HTTP request: the ext_proc filter in FULL_DUPLEX_STREAMED mode (headers, body
/// chunks, response headers and body all through the picker), then an ORIGINAL_DST-style forward to the endpoint the
/// picker put in <c>x-gateway-destination-endpoint</c>. Like Envoy with failure_mode_allow=false, a failed ext_proc
/// call is a 500 and nothing is forwarded without a decision.</summary>
internal sealed partial class GatewayProxy : IDisposable
{
    private readonly GatewayOptions _options;
    private readonly ExtProcReplicas _extProc;
    private readonly HttpMessageInvoker _upstream;
    private readonly ILogger<GatewayProxy> _logger;
    private readonly GatewayRouter _router;

    public GatewayProxy(IOptions<GatewayOptions> options, ILogger<GatewayProxy> logger, GatewayRouter router)
    {
        _options = options.Value;
        _router = router;
        _logger = logger;
        _extProc = new ExtProcReplicas(_options.ExtProcAddresses.Count > 0 ? _options.ExtProcAddresses : [_options.ExtProcAddress]);
        _upstream = new HttpMessageInvoker(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2),
            ConnectTimeout = TimeSpan.FromSeconds(10),
        });
    }

    public void Dispose()
    {
        _extProc.Dispose();
        _upstream.Dispose();
    }

    public async Task HandleAsync(HttpContext context)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        timeout.CancelAfter(TimeSpan.FromSeconds(_options.RequestTimeoutSeconds));
        var ct = timeout.Token;
        var first = _extProc.First();
        var picker = _extProc.For(first, 0);
        if (_router.Enabled)
        {
            // The body router and the route's picker (docs/body-routing.md); null = already answered. A route's own
            // picker is one address: only the default pool's replicas are retried.
            ExternalProcessor.ExternalProcessorClient? routed;
            try
            {
                routed = await _router.RouteAsync(context, picker, ct).ConfigureAwait(false);
            }
            catch (RpcException ex) when (!context.RequestAborted.IsCancellationRequested)
            {
                LogExtProcFailed(_logger, ex.StatusCode, ex.Status.Detail);
                await FailAsync(context, StatusCodes.Status500InternalServerError, "body router failed: " + ex.Status.Detail).ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (context.RequestAborted.IsCancellationRequested && ex is OperationCanceledException or RpcException or IOException)
            {
                return;
            }
            if (routed is null)
                return;
            picker = routed;
        }
        // With replicas to retry on, the body is kept so a second stream can be sent the same request (Envoy buffers it too).
        var retries = _extProc.Count > 1 && ReferenceEquals(picker, _extProc.For(first, 0)) ? _options.ExtProcRetries : 0;
        var body = retries > 0 ? await BufferBodyAsync(context.Request, ct).ConfigureAwait(false) : null;
        for (var attempt = 0; ; attempt++)
        {
            var forwarded = new StrongBox<bool>();
            // Disposing the call resets the ext_proc stream if it is still open, which frees the picker's accounting.
            using var call = (attempt == 0 ? picker : _extProc.For(first, attempt)).Process(cancellationToken: ct);
            try
            {
                await ProxyAsync(context, call, body is null ? context.Request.BodyReader : PipeReader.Create(body.Value), forwarded, ct).ConfigureAwait(false);
                return;
            }
            catch (RpcException ex) when (attempt < retries && !forwarded.Value && !context.RequestAborted.IsCancellationRequested && Retriable(ex.StatusCode))
            {
                LogExtProcRetried(_logger, ex.StatusCode, attempt + 1);
            }
            catch (RpcException ex) when (!context.RequestAborted.IsCancellationRequested)
            {
                LogExtProcFailed(_logger, ex.StatusCode, ex.Status.Detail);
                await FailAsync(context, StatusCodes.Status500InternalServerError, "ext_proc failed: " + ex.Status.Detail).ConfigureAwait(false);
                return;
            }
            catch (HttpRequestException ex) when (!context.RequestAborted.IsCancellationRequested)
            {
                LogTransportFailed(_logger, ex);
                await FailAsync(context, StatusCodes.Status503ServiceUnavailable, "upstream connect error or disconnect/reset before headers: " + ex.Message).ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (context.RequestAborted.IsCancellationRequested && ex is OperationCanceledException or RpcException or IOException)
            {
                // The client left; disposing the call resets the ext_proc stream, which frees the picker's accounting.
                return;
            }
        }
    }

    /// <summary>Envoy's <c>retry_on: unavailable,reset,connect-failure</c>: the replica died or could not be reached.</summary>
    private static bool Retriable(StatusCode status) => status is StatusCode.Unavailable or StatusCode.Internal or StatusCode.Unknown;

    private static async Task<ReadOnlySequence<byte>?> BufferBodyAsync(HttpRequest request, CancellationToken ct)
    {
        using var copy = new MemoryStream();
        await request.Body.CopyToAsync(copy, ct).ConfigureAwait(false);
        return new ReadOnlySequence<byte>(copy.ToArray());
    }

    private async Task ProxyAsync(HttpContext context, Call call, PipeReader requestBody, StrongBox<bool> forwarded, CancellationToken ct)
    {
        var request = context.Request;
        var hasBody = request.ContentLength is > 0 || (request.ContentLength is null && request.Headers.TransferEncoding.Count > 0);
        var requestId = request.Headers[HeaderNames.RequestId].ToString();
        if (requestId.Length == 0)
            requestId = Guid.NewGuid().ToString();

        await call.RequestStream.WriteAsync(RequestHeadersMessage(request, requestId, endOfStream: !hasBody), ct).ConfigureAwait(false);
        var pump = hasBody ? PumpBodyAsync(requestBody, call, isRequest: true, ct) : Task.CompletedTask;

        var decision = await NextAsync(call, ct).ConfigureAwait(false);
        // From here on the request is answered or sent upstream: a failure is no longer retried on another replica.
        forwarded.Value = true;
        if (decision.ResponseCase == ProcessingResponse.ResponseOneofCase.ImmediateResponse)
        {
            await WriteImmediateAsync(context, decision.ImmediateResponse, ct).ConfigureAwait(false);
            return;
        }
        Expect(decision, ProcessingResponse.ResponseOneofCase.RequestHeaders);
        var mutation = decision.RequestHeaders.Response?.HeaderMutation;
        var destination = DestinationOf(mutation, decision.DynamicMetadata);
        if (destination is null)
        {
            await FailAsync(context, StatusCodes.Status503ServiceUnavailable, "no destination endpoint from the picker").ConfigureAwait(false);
            return;
        }

        using var upstreamRequest = new HttpRequestMessage(new HttpMethod(request.Method), new Uri($"http://{destination}{request.Path}{request.QueryString}"))
        {
            Version = HttpVersion.Version11,
        };
        foreach (var (key, values) in request.Headers)
        {
            if (!GatewayHeaders.HopByHop.Contains(key) && !key.StartsWith(':'))
                upstreamRequest.Headers.TryAddWithoutValidation(key, (IEnumerable<string>)values);
        }
        upstreamRequest.Headers.Remove(HeaderNames.RequestId);
        upstreamRequest.Headers.TryAddWithoutValidation(HeaderNames.RequestId, requestId);
        long? contentLength = request.ContentLength;
        ApplyRequestMutation(upstreamRequest, mutation, ref contentLength);

        Task<HttpResponseMessage> send;
        if (hasBody)
        {
            var pipe = new Pipe();
            var content = new StreamContent(pipe.Reader.AsStream());
            foreach (var h in request.Headers)
            {
                if (h.Key.StartsWith("content-", StringComparison.OrdinalIgnoreCase) && !string.Equals(h.Key, "content-length", StringComparison.OrdinalIgnoreCase))
                    content.Headers.TryAddWithoutValidation(h.Key, (IEnumerable<string>)h.Value);
            }
            content.Headers.ContentLength = contentLength;
            upstreamRequest.Content = content;
            send = _upstream.SendAsync(upstreamRequest, ct);
            // The picker re-streams the (possibly rewritten) body; forward each chunk as it comes.
            while (true)
            {
                var r = await NextAsync(call, ct).ConfigureAwait(false);
                if (r.ResponseCase == ProcessingResponse.ResponseOneofCase.ImmediateResponse)
                {
                    await pipe.Writer.CompleteAsync().ConfigureAwait(false);
                    await WriteImmediateAsync(context, r.ImmediateResponse, ct).ConfigureAwait(false);
                    return;
                }
                Expect(r, ProcessingResponse.ResponseOneofCase.RequestBody);
                var streamed = r.RequestBody.Response?.BodyMutation?.StreamedResponse
                    ?? throw new RpcException(new Status(StatusCode.Internal, "spurious body response without streamed_response"));
                if (!streamed.Body.IsEmpty && !await ForwardAsync(pipe.Writer, streamed.Body.Memory, send, ct).ConfigureAwait(false))
                    break;
                if (streamed.EndOfStream)
                    break;
            }
            await pipe.Writer.CompleteAsync().ConfigureAwait(false);
        }
        else
        {
            send = _upstream.SendAsync(upstreamRequest, ct);
        }
        await pump.ConfigureAwait(false);

        using var upstreamResponse = await send.ConfigureAwait(false);
        await ProxyResponseAsync(context, call, upstreamResponse, destination, ct).ConfigureAwait(false);
    }

    private async Task ProxyResponseAsync(HttpContext context, Call call, HttpResponseMessage upstream, string destination, CancellationToken ct)
    {
        var noBody = upstream.Content.Headers.ContentLength == 0 || HttpMethods.IsHead(context.Request.Method);
        await call.RequestStream.WriteAsync(ResponseHeadersMessage(upstream, noBody), ct).ConfigureAwait(false);
        var answer = await NextAsync(call, ct).ConfigureAwait(false);
        if (answer.ResponseCase == ProcessingResponse.ResponseOneofCase.ImmediateResponse)
        {
            await WriteImmediateAsync(context, answer.ImmediateResponse, ct).ConfigureAwait(false);
            return;
        }
        Expect(answer, ProcessingResponse.ResponseOneofCase.ResponseHeaders);

        var response = context.Response;
        response.StatusCode = (int)upstream.StatusCode;
        CopyHeaders(upstream.Headers, response.Headers);
        CopyHeaders(upstream.Content.Headers, response.Headers);
        if (upstream.Content.Headers.ContentLength is { } length)
            response.ContentLength = length;
        ApplyResponseMutation(response, answer.ResponseHeaders.Response?.HeaderMutation);
        response.Headers[GatewayHeaders.ServedBy] = destination;

        if (noBody)
        {
            await call.RequestStream.CompleteAsync().ConfigureAwait(false);
            await DrainAsync(call, ct).ConfigureAwait(false);
            return;
        }
        await response.StartAsync(ct).ConfigureAwait(false);
        var body = await upstream.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        var pump = PumpBodyAsync(PipeReader.Create(body), call, isRequest: false, ct);
        while (true)
        {
            var r = await NextAsync(call, ct).ConfigureAwait(false);
            Expect(r, ProcessingResponse.ResponseOneofCase.ResponseBody);
            var streamed = r.ResponseBody.Response?.BodyMutation?.StreamedResponse
                ?? throw new RpcException(new Status(StatusCode.Internal, "spurious body response without streamed_response"));
            if (!streamed.Body.IsEmpty)
            {
                await response.Body.WriteAsync(streamed.Body.Memory, ct).ConfigureAwait(false);
                await response.Body.FlushAsync(ct).ConfigureAwait(false);
            }
            if (streamed.EndOfStream)
                break;
        }
        await pump.ConfigureAwait(false);
        await call.RequestStream.CompleteAsync().ConfigureAwait(false);
        await DrainAsync(call, ct).ConfigureAwait(false);
    }

    /// <summary>Writes one chunk of the upstream request body; false when the upstream request ended first (a connect
    /// failure surfaces when <paramref name="send"/> is awaited; an early answer stops the body).</summary>
    private static async ValueTask<bool> ForwardAsync(PipeWriter writer, ReadOnlyMemory<byte> chunk, Task<HttpResponseMessage> send, CancellationToken ct)
    {
        var write = writer.WriteAsync(chunk, ct);
        if (write.IsCompleted)
            return !write.Result.IsCompleted;
        var pending = write.AsTask();
        if (await Task.WhenAny(pending, send).ConfigureAwait(false) == pending)
            return !(await pending.ConfigureAwait(false)).IsCompleted;
        await send.ConfigureAwait(false);
        return false;
    }

    /// <summary>Sends a body to ext_proc in chunks as it arrives; the last chunk carries end_of_stream.</summary>
    private async Task PumpBodyAsync(PipeReader reader, Call call, bool isRequest, CancellationToken ct)
    {
        var max = _options.BodyChunkBytes;
        while (true)
        {
            var result = await reader.ReadAsync(ct).ConfigureAwait(false);
            var buffer = result.Buffer;
            while (buffer.Length > max || (buffer.Length > 0 && !result.IsCompleted))
            {
                var take = Math.Min(buffer.Length, max);
                var chunk = buffer.Slice(0, take);
                await call.RequestStream.WriteAsync(BodyMessage(isRequest, UnsafeByteOperations.UnsafeWrap(chunk.ToArray()), false), ct).ConfigureAwait(false);
                buffer = buffer.Slice(take);
            }
            if (result.IsCompleted)
            {
                await call.RequestStream.WriteAsync(BodyMessage(isRequest, UnsafeByteOperations.UnsafeWrap(buffer.ToArray()), true), ct).ConfigureAwait(false);
                reader.AdvanceTo(buffer.End);
                await reader.CompleteAsync().ConfigureAwait(false);
                return;
            }
            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private static ProcessingRequest BodyMessage(bool isRequest, ByteString body, bool endOfStream)
    {
        var http = new HttpBody { Body = body, EndOfStream = endOfStream };
        return isRequest ? new ProcessingRequest { RequestBody = http } : new ProcessingRequest { ResponseBody = http };
    }

    private ProcessingRequest RequestHeadersMessage(HttpRequest request, string requestId, bool endOfStream)
    {
        var map = GatewayMessages.RequestHeaderMap(request, requestId);
        var message = new ProcessingRequest
        {
            RequestHeaders = new HttpHeaders { Headers = map, EndOfStream = endOfStream },
            ProtocolConfig = new ProtocolConfiguration
            {
                RequestBodyMode = ProcessingMode.Types.BodySendMode.FullDuplexStreamed,
                ResponseBodyMode = ProcessingMode.Types.BodySendMode.FullDuplexStreamed,
            },
            MetadataContext = new Metadata(),
        };
        if (!string.IsNullOrWhiteSpace(_options.SubsetHint))
        {
            var entries = _options.SubsetHint.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var values = new Value[entries.Length];
            for (var i = 0; i < entries.Length; i++)
                values[i] = Value.ForString(entries[i]);
            var ns = new Struct();
            ns.Fields[HeaderNames.DestinationEndpointSubset] = Value.ForList(values);
            message.MetadataContext.FilterMetadata[HeaderNames.SubsetHintNamespace] = ns;
        }
        return message;
    }

    private static ProcessingRequest ResponseHeadersMessage(HttpResponseMessage upstream, bool endOfStream)
    {
        var map = new HeaderMap();
        map.Headers.Add(Raw(":status", ((int)upstream.StatusCode).ToString(CultureInfo.InvariantCulture)));
        foreach (var h in upstream.Headers)
        {
            foreach (var v in h.Value)
                map.Headers.Add(Raw(h.Key.ToLowerInvariant(), v));
        }
        foreach (var h in upstream.Content.Headers)
        {
            foreach (var v in h.Value)
                map.Headers.Add(Raw(h.Key.ToLowerInvariant(), v));
        }
        return new ProcessingRequest { ResponseHeaders = new HttpHeaders { Headers = map, EndOfStream = endOfStream } };
    }

    private static HeaderValue Raw(string key, string value) => GatewayMessages.Raw(key, value);


    /// <summary>The primary endpoint: the header mutation (what ORIGINAL_DST reads), else the envoy.lb metadata.</summary>
    internal static string? DestinationOf(HeaderMutation? mutation, Struct? metadata)
    {
        string? value = null;
        if (mutation is not null)
        {
            foreach (var h in mutation.SetHeaders)
            {
                if (string.Equals(h.Header.Key, HeaderNames.DestinationEndpoint, StringComparison.OrdinalIgnoreCase))
                    value = h.Header.Text();
            }
        }
        if (value is null
            && metadata is not null
            && metadata.Fields.TryGetValue(HeaderNames.EnvoyLbNamespace, out var lb)
            && lb.StructValue?.Fields.TryGetValue(HeaderNames.DestinationEndpoint, out var v) == true)
            value = v.StringValue;
        if (string.IsNullOrWhiteSpace(value))
            return null;
        var comma = value.IndexOf(',', StringComparison.Ordinal);
        return (comma < 0 ? value : value[..comma]).Trim();
    }

    private static void ApplyRequestMutation(HttpRequestMessage request, HeaderMutation? mutation, ref long? contentLength)
    {
        if (mutation is null)
            return;
        foreach (var name in mutation.RemoveHeaders)
            request.Headers.Remove(name);
        foreach (var h in mutation.SetHeaders)
        {
            var key = h.Header.Key;
            var value = h.Header.Text();
            if (string.Equals(key, "content-length", StringComparison.OrdinalIgnoreCase))
            {
                contentLength = long.TryParse(value, CultureInfo.InvariantCulture, out var l) ? l : null;
                continue;
            }
            if (key.StartsWith(':') || GatewayHeaders.HopByHop.Contains(key))
                continue;
            request.Headers.Remove(key);
            request.Headers.TryAddWithoutValidation(key, value);
        }
    }

    private static void ApplyResponseMutation(HttpResponse response, HeaderMutation? mutation)
    {
        if (mutation is null)
            return;
        foreach (var name in mutation.RemoveHeaders)
        {
            if (string.Equals(name, "content-length", StringComparison.OrdinalIgnoreCase))
                response.ContentLength = null;
            else
                response.Headers.Remove(name);
        }
        foreach (var h in mutation.SetHeaders)
        {
            if (!h.Header.Key.StartsWith(':'))
                response.Headers[h.Header.Key] = h.Header.Text();
        }
    }

    private static void CopyHeaders(System.Net.Http.Headers.HttpHeaders from, IHeaderDictionary to)
    {
        foreach (var h in from)
        {
            if (!GatewayHeaders.HopByHop.Contains(h.Key))
                to[h.Key] = h.Value.ToArray();
        }
    }

    internal static async Task WriteImmediateAsync(HttpContext context, ImmediateResponse immediate, CancellationToken ct)
    {
        var response = context.Response;
        var status = (int)(immediate.Status?.Code ?? 0);
        response.StatusCode = status is >= 200 and < 600 ? status : StatusCodes.Status200OK;
        ApplyResponseMutation(response, immediate.Headers);
        response.ContentLength = immediate.Body.Length;
        await response.Body.WriteAsync(immediate.Body.Memory, ct).ConfigureAwait(false);
    }

    private static async Task FailAsync(HttpContext context, int status, string message)
    {
        if (context.Response.HasStarted)
        {
            context.Abort();
            return;
        }
        context.Response.Clear();
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync(message, context.RequestAborted).ConfigureAwait(false);
    }

    private static async Task<ProcessingResponse> NextAsync(Call call, CancellationToken ct) =>
        await call.ResponseStream.MoveNext(ct).ConfigureAwait(false)
            ? call.ResponseStream.Current
            : throw new RpcException(new Status(StatusCode.Internal, "ext_proc stream ended before the request was answered"));

    private static async Task DrainAsync(Call call, CancellationToken ct)
    {
        if (await call.ResponseStream.MoveNext(ct).ConfigureAwait(false))
            throw new RpcException(new Status(StatusCode.Internal, "unexpected ext_proc message " + call.ResponseStream.Current.ResponseCase));
    }

    private static void Expect(ProcessingResponse response, ProcessingResponse.ResponseOneofCase expected)
    {
        if (response.ResponseCase != expected)
            throw new RpcException(new Status(StatusCode.Internal, $"ext_proc answered {response.ResponseCase} where {expected} was expected"));
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "ext_proc call failed with {Status}: {Message}")]
    private static partial void LogExtProcFailed(ILogger logger, StatusCode status, string message);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "ext_proc stream failed with {Status} before a decision; retrying on another replica (retry {Retry})")]
    private static partial void LogExtProcRetried(ILogger logger, StatusCode status, int retry);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Upstream request failed")]
    private static partial void LogTransportFailed(ILogger logger, Exception exception);
}
