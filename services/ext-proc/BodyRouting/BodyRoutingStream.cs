using Grpc.Core;
using InferenceMesh.Grpc.Envoy.Extensions.Filters.Http.ExtProc.V3;
using InferenceMesh.Grpc.Envoy.Service.ExtProc.V3;

namespace InferenceMesh.ExtProc.BodyRouting;

/// <summary>One ext_proc stream of the body-based router = one HTTP request, before Envoy picks its route. It buffers the
/// request body, reads its top-level <c>model</c>, and answers with the model in <see cref="BodyRoutingOptions.HeaderName"/>
/// and <c>clear_route_cache</c>, so the route (and with it the InferencePool) is chosen by model. The body is passed on
/// unchanged. FULL_DUPLEX_STREAMED (the reference's mode): the headers answer waits for the whole body, then the body is
/// re-streamed. BUFFERED: headers answered at once, the header mutation rides on the body answer. STREAMED cannot change
/// headers after they left, so it passes through without a header. Response messages, if the filter sends them, pass
/// through untouched.</summary>
internal sealed partial class BodyRoutingStream : IDisposable
{
    private readonly BodyRoutingOptions _options;
    private readonly BodyRoutingMetrics _metrics;
    private readonly ILogger _logger;
    private readonly IAsyncStreamWriter<ProcessingResponse> _writer;
    private readonly CancellationToken _ct;
    private readonly RequestBody _body = new();
    private readonly string _header;
    private ProcessingMode.Types.BodySendMode _requestMode = ProcessingMode.Types.BodySendMode.FullDuplexStreamed;
    private ProcessingMode.Types.BodySendMode _responseMode = ProcessingMode.Types.BodySendMode.FullDuplexStreamed;
    private bool _requestEnded;

    public BodyRoutingStream(BodyRoutingOptions options, BodyRoutingMetrics metrics, ILogger logger, IAsyncStreamWriter<ProcessingResponse> writer, CancellationToken ct)
    {
        _options = options;
        _metrics = metrics;
        _logger = logger;
        _writer = writer;
        _ct = ct;
        // HTTP/2 (Envoy's side of ext_proc) carries header names in lower case.
        _header = options.HeaderName.ToLowerInvariant();
    }

    public async Task RunAsync(IAsyncStreamReader<ProcessingRequest> reader)
    {
        while (await reader.MoveNext(_ct).ConfigureAwait(false))
        {
            var message = reader.Current;
            if (message.ProtocolConfig is { } config)
            {
                _requestMode = config.RequestBodyMode;
                _responseMode = config.ResponseBodyMode;
            }
            if (!await HandleAsync(message).ConfigureAwait(false))
                return;
        }
    }

    private ValueTask<bool> HandleAsync(ProcessingRequest message) => message.RequestCase switch
    {
        ProcessingRequest.RequestOneofCase.RequestHeaders => OnRequestHeadersAsync(message.RequestHeaders),
        ProcessingRequest.RequestOneofCase.RequestBody => OnRequestBodyAsync(message.RequestBody),
        ProcessingRequest.RequestOneofCase.RequestTrailers => OnRequestTrailersAsync(),
        ProcessingRequest.RequestOneofCase.ResponseHeaders => Answer(new ProcessingResponse { ResponseHeaders = new HeadersResponse() }),
        ProcessingRequest.RequestOneofCase.ResponseBody => OnResponseBodyAsync(message.ResponseBody),
        ProcessingRequest.RequestOneofCase.ResponseTrailers => Answer(new ProcessingResponse { ResponseTrailers = new TrailersResponse() }),
        _ => throw new RpcException(new Status(StatusCode.InvalidArgument, "ProcessingRequest carries no request or response phase")),
    };

    private async ValueTask<bool> OnRequestHeadersAsync(HttpHeaders headers)
    {
        // No body (GET) or a mode that answers headers first: nothing to read before the route is chosen.
        if (headers.EndOfStream || _requestMode != ProcessingMode.Types.BodySendMode.FullDuplexStreamed)
        {
            _requestEnded = headers.EndOfStream;
            await WriteAsync(new ProcessingResponse { RequestHeaders = new HeadersResponse() }).ConfigureAwait(false);
        }
        return true;
    }

    private async ValueTask<bool> OnRequestBodyAsync(HttpBody body)
    {
        if (_requestEnded)
            throw new RpcException(new Status(StatusCode.FailedPrecondition, "request body after the end of the request"));
        if (_requestMode == ProcessingMode.Types.BodySendMode.Streamed)
        {
            // The headers went upstream with the first answer; each chunk is acknowledged unchanged.
            await WriteAsync(new ProcessingResponse { RequestBody = new BodyResponse() }).ConfigureAwait(false);
            return true;
        }
        // A body that arrives in one message is kept by reference (its ByteString is immutable), not copied.
        if (!_body.TryAppend(body.Body.Memory, _options.MaxBodyBytes))
        {
            _metrics.RequestTooLarge();
            LogTooLarge(_logger, _options.MaxBodyBytes);
            await WriteAsync(ExtProcResponses.Error(Rejection.PayloadTooLarge($"request body exceeds {_options.MaxBodyBytes} bytes"))).ConfigureAwait(false);
            return false;
        }
        if (body.EndOfStream || _requestMode != ProcessingMode.Types.BodySendMode.FullDuplexStreamed)
        {
            _requestEnded = true;
            await AnswerBodyAsync(trailersFollow: false).ConfigureAwait(false);
        }
        return true;
    }

    private async ValueTask<bool> OnRequestTrailersAsync()
    {
        if (!_requestEnded && _requestMode == ProcessingMode.Types.BodySendMode.FullDuplexStreamed)
        {
            _requestEnded = true;
            await AnswerBodyAsync(trailersFollow: true).ConfigureAwait(false);
        }
        await WriteAsync(new ProcessingResponse { RequestTrailers = new TrailersResponse() }).ConfigureAwait(false);
        return true;
    }

    /// <summary>The routing header (when the body names a model) with clear_route_cache, then the body in full duplex.</summary>
    private async ValueTask AnswerBodyAsync(bool trailersFollow)
    {
        var model = ModelField.Find(_body.Outgoing.Span);
        _metrics.Request(model is not null);
        var common = new CommonResponse();
        if (model is not null)
        {
            common.ClearRouteCache = true;
            common.HeaderMutation = new HeaderMutation();
            common.HeaderMutation.SetHeaders.Add(ExtProcResponses.SetHeader(_header, model));
            LogRouted(_logger, model);
        }
        if (_requestMode != ProcessingMode.Types.BodySendMode.FullDuplexStreamed)
        {
            await WriteAsync(new ProcessingResponse { RequestBody = new BodyResponse { Response = common } }).ConfigureAwait(false);
            return;
        }
        await WriteAsync(new ProcessingResponse { RequestHeaders = new HeadersResponse { Response = common } }).ConfigureAwait(false);
        await DecisionAnswer.RestreamAsync(_writer, _body.Outgoing, _options.ChunkBytes, trailersFollow, _ct).ConfigureAwait(false);
    }

    /// <summary>Response bodies are not the router's business; full duplex still needs each chunk echoed back.</summary>
    private ValueTask<bool> OnResponseBodyAsync(HttpBody body) =>
        Answer(_responseMode == ProcessingMode.Types.BodySendMode.FullDuplexStreamed
            ? ExtProcResponses.StreamedChunk(false, body.Body, body.EndOfStream)
            : new ProcessingResponse { ResponseBody = new BodyResponse() });

    private async ValueTask<bool> Answer(ProcessingResponse response)
    {
        await WriteAsync(response).ConfigureAwait(false);
        return true;
    }

    private Task WriteAsync(ProcessingResponse response) => _writer.WriteAsync(response, _ct);

    public void Dispose() => _body.Dispose();

    [LoggerMessage(EventId = 40, Level = LogLevel.Debug, Message = "Body routing: model {Model}")]
    private static partial void LogRouted(ILogger logger, string model);

    [LoggerMessage(EventId = 41, Level = LogLevel.Information, Message = "Body routing: request body exceeds {Limit} bytes, answered 413")]
    private static partial void LogTooLarge(ILogger logger, int limit);
}
