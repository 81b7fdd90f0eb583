using System.Text.Json;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using InferenceMesh.Contracts;
using InferenceMesh.Grpc;
using InferenceMesh.Grpc.Envoy.Config.Core.V3;
using InferenceMesh.Grpc.Envoy.Extensions.Filters.Http.ExtProc.V3;
using InferenceMesh.Grpc.Envoy.Service.ExtProc.V3;

namespace InferenceMesh.ExtProc;

/// <summary>One ext_proc stream = one HTTP request through Envoy. Messages are handled strictly in order on one loop,
/// so responses go out in the order Envoy requires and no locking is needed.</summary>
internal sealed partial class ExtProcStream : IDisposable
{
    private const int ClientClosedRequest = 499;

    private readonly ExtProcProcessor _p;
    private readonly GrpcMessageWriter<ProcessingResponse> _writer;
    private readonly CancellationToken _ct;
    private readonly PooledBuffer _body = new();
    private PooledBuffer? _rewrittenBody;
    private PooledBuffer? _promptScratch;

    private BodyMode _requestMode;
    private BodyMode _responseMode;
    private bool _modeKnown;

    // Request phase.
    private string _requestId = "";
    private bool _requestIdGenerated;
    private string? _objective;
    private string? _rewriteHeader;
    private string _fairnessId = HeaderNames.DefaultFairnessId;
    private bool _hasContentLength;
    private List<string> _subset = [];
    private bool _subsetPresent;
    private bool _requestEnded;
    private int _heldChunks;

    // Decision.
    private string _model = "";
    private string _targetModel = "";
    private Criticality _criticality;
    private bool _modelRewritten;
    private bool _scheduleStarted;
    private ScheduleResponse? _scheduled;
    private bool _decided;

    // Response phase.
    private int _responseStatus;
    private ResponseBodyProcessor? _responseBody;
    private bool _completionReported;

    public ExtProcStream(ExtProcProcessor processor, GrpcMessageWriter<ProcessingResponse> writer, CancellationToken cancellationToken)
    {
        _p = processor;
        _writer = writer;
        _ct = cancellationToken;
        _requestMode = processor.DefaultMode;
        _responseMode = processor.DefaultMode;
    }

    public async Task RunAsync(GrpcMessageReader<ProcessingRequest> reader)
    {
        var clean = false;
        try
        {
            while (await reader.ReadAsync(_ct).ConfigureAwait(false) is { } message)
            {
                if (!await HandleAsync(message).ConfigureAwait(false))
                    break;
            }
            clean = true;
        }
        finally
        {
            await OnStreamEndAsync(clean).ConfigureAwait(false);
        }
    }

    private ValueTask<bool> HandleAsync(ProcessingRequest message)
    {
        if (!_modeKnown && message.ProtocolConfig is { } config)
        {
            _modeKnown = true;
            _requestMode = Map(config.RequestBodyMode, _requestMode);
            _responseMode = Map(config.ResponseBodyMode, _responseMode);
        }
        return message.RequestCase switch
        {
            ProcessingRequest.RequestOneofCase.RequestHeaders => OnRequestHeadersAsync(message),
            ProcessingRequest.RequestOneofCase.RequestBody => OnRequestBodyAsync(message.RequestBody),
            ProcessingRequest.RequestOneofCase.RequestTrailers => OnRequestTrailersAsync(),
            ProcessingRequest.RequestOneofCase.ResponseHeaders => OnResponseHeadersAsync(message.ResponseHeaders),
            ProcessingRequest.RequestOneofCase.ResponseBody => OnResponseBodyAsync(message.ResponseBody),
            ProcessingRequest.RequestOneofCase.ResponseTrailers => OnResponseTrailersAsync(),
            _ => throw new GrpcException(GrpcStatusCode.InvalidArgument, "ProcessingRequest carries no request or response phase"),
        };
    }

    private static BodyMode Map(ProcessingMode.Types.BodySendMode mode, BodyMode fallback) => mode switch
    {
        ProcessingMode.Types.BodySendMode.FullDuplexStreamed => BodyMode.FullDuplex,
        ProcessingMode.Types.BodySendMode.Streamed => BodyMode.Streamed,
        ProcessingMode.Types.BodySendMode.Buffered or ProcessingMode.Types.BodySendMode.BufferedPartial => BodyMode.Buffered,
        _ => fallback,
    };

    // ---------------- request path ----------------

    private async ValueTask<bool> OnRequestHeadersAsync(ProcessingRequest message)
    {
        var headers = message.RequestHeaders;
        if (headers.Headers is { } map)
        {
            foreach (var h in map.Headers)
                ReadRequestHeader(h);
        }
        if (string.IsNullOrEmpty(_requestId))
        {
            _requestId = Guid.NewGuid().ToString();
            _requestIdGenerated = true;
        }
        ReadSubsetHint(message.MetadataContext);

        if (headers.EndOfStream)
        {
            _requestEnded = true;
            return await DecideAsync(hasBody: false, trailersFollow: false).ConfigureAwait(false);
        }
        if (_requestMode != BodyMode.FullDuplex)
            await WriteAsync(new ProcessingResponse { RequestHeaders = new HeadersResponse { Response = new CommonResponse() } }).ConfigureAwait(false);
        return true;
    }

    private void ReadRequestHeader(HeaderValue h)
    {
        switch (h.Key)
        {
            case HeaderNames.RequestId: _requestId = h.Text(); break;
            case HeaderNames.InferenceObjective: _objective = NullIfEmpty(h.Text()); break;
            case HeaderNames.ModelNameRewrite: _rewriteHeader = NullIfEmpty(h.Text()); break;
            case HeaderNames.FairnessId: _fairnessId = NullIfEmpty(h.Text()) ?? HeaderNames.DefaultFairnessId; break;
            case "content-length": _hasContentLength = true; break;
            default: break;
        }
    }


    private static string? NullIfEmpty(string s) => s.Length == 0 ? null : s;

    private void ReadSubsetHint(Metadata? metadata)
    {
        if (metadata is null
            || !metadata.FilterMetadata.TryGetValue(HeaderNames.SubsetHintNamespace, out var ns)
            || !ns.Fields.TryGetValue(HeaderNames.DestinationEndpointSubset, out var value))
            return;
        _subsetPresent = true;
        var list = new List<string>();
        if (value.KindCase == Google.Protobuf.WellKnownTypes.Value.KindOneofCase.ListValue)
        {
            foreach (var v in value.ListValue.Values)
                AddEndpoints(list, v.StringValue);
        }
        else if (value.KindCase == Google.Protobuf.WellKnownTypes.Value.KindOneofCase.StringValue)
        {
            AddEndpoints(list, value.StringValue);
        }
        _subset = list;
    }

    private static void AddEndpoints(List<string> list, string csv)
    {
        foreach (var part in csv.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            list.Add(part);
    }

    private async ValueTask<bool> OnRequestBodyAsync(HttpBody body)
    {
        if (_requestEnded)
            throw new GrpcException(GrpcStatusCode.FailedPrecondition, "request body after the end of the request");
        if ((long)_body.Length + body.Body.Length > _p.Options.MaxBodyBytes)
        {
            await RejectAsync(413, "PayloadTooLarge", $"request body exceeds {_p.Options.MaxBodyBytes} bytes").ConfigureAwait(false);
            return false;
        }
        _body.Append(body.Body.Span);

        // BUFFERED sends the whole body as one message; the other modes end it with end_of_stream (or trailers).
        if (_requestMode == BodyMode.Buffered || body.EndOfStream)
        {
            _requestEnded = true;
            return await DecideAsync(hasBody: true, trailersFollow: false).ConfigureAwait(false);
        }
        if (_requestMode == BodyMode.Streamed)
        {
            // STREAMED wants one answer per chunk: hold the chunk back; the whole body goes out with the decision.
            _heldChunks++;
            await WriteAsync(new ProcessingResponse
            {
                RequestBody = new BodyResponse { Response = new CommonResponse { BodyMutation = new BodyMutation { ClearBodyFlag = true } } },
            }).ConfigureAwait(false);
        }
        return true;
    }

    private async ValueTask<bool> OnRequestTrailersAsync()
    {
        if (!_requestEnded)
        {
            _requestEnded = true;
            if (!await DecideAsync(hasBody: true, trailersFollow: true).ConfigureAwait(false))
                return false;
        }
        await WriteAsync(new ProcessingResponse { RequestTrailers = new TrailersResponse() }).ConfigureAwait(false);
        return true;
    }

    /// <summary>Parse, resolve, hash, schedule, answer. False when the request was rejected (the stream is done).</summary>
    private async ValueTask<bool> DecideAsync(bool hasBody, bool trailersFollow)
    {
        var bodyEnd = _p.Time.GetTimestamp();
        _p.Metrics.RequestBody(_body.Length);

        OpenAiRequest parsed = default;
        if (hasBody)
        {
            try
            {
                parsed = OpenAiRequest.Parse(_body.Span);
            }
            catch (JsonException ex)
            {
                await RejectAsync(400, "BadRequest", "invalid request body: " + ex.Message).ConfigureAwait(false);
                return false;
            }
            if (string.IsNullOrEmpty(parsed.Model))
            {
                await RejectAsync(400, "BadRequest", "model not found in request body").ConfigureAwait(false);
                return false;
            }
            _model = parsed.Model;
        }

        var resolved = _p.Resolver.Resolve(_model, _objective, _rewriteHeader);
        _targetModel = resolved.TargetModel;
        _criticality = resolved.Criticality;
        var outBody = _body.Memory;
        if (hasBody && !string.Equals(_targetModel, _model, StringComparison.Ordinal))
        {
            _rewrittenBody = new PooledBuffer();
            var original = _body.Span;
            var (start, length) = parsed.ModelToken.GetOffsetAndLength(original.Length);
            _rewrittenBody.Append(original[..start]);
            _rewrittenBody.Append(JsonModelRewriter.Quoted(_targetModel));
            _rewrittenBody.Append(original[(start + length)..]);
            outBody = _rewrittenBody.Memory;
            _modelRewritten = true;
        }

        if (_subsetPresent && _subset.Count == 0)
        {
            await RejectAsync(503, "ServiceUnavailable", "the subset hint lists no endpoints").ConfigureAwait(false);
            return false;
        }

        var hashes = hasBody ? HashPrompt(parsed) : [];
        var request = new ScheduleRequest(_requestId, _p.Options.Pool, _model, _targetModel, _criticality, _fairnessId,
            hashes, _body.Length, _subset, _p.Options.QueueTtlMs);

        ScheduleResponse response;
        _scheduleStarted = true;
        try
        {
            response = await _p.Scheduling.ScheduleAsync(request, _ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_ct.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            // Never forward blindly: without a decision the request is refused.
            LogSchedulerFailed(_p.Logger, _requestId, ex);
            await RejectAsync(503, "ServiceUnavailable", "scheduler unavailable: " + ex.Message).ConfigureAwait(false);
            return false;
        }

        if (response.Outcome != ScheduleOutcome.Scheduled || string.IsNullOrEmpty(response.Endpoint))
        {
            var (status, code) = MapOutcome(response);
            await RejectAsync(status, code, response.Reason ?? response.Outcome.ToString()).ConfigureAwait(false);
            return false;
        }

        _scheduled = response;
        _decided = true;
        var destination = Destination(response);
        LogScheduled(_p.Logger, _requestId, _model, _targetModel, _criticality, destination, response.SchedulerReplica);
        _p.Metrics.Request(_model, CriticalityName(_criticality), "scheduled");

        long? contentLength = hasBody && (_hasContentLength || _modelRewritten) ? outBody.Length : null;
        var routing = ExtProcResponses.Routing(destination, _requestIdGenerated ? _requestId : null, contentLength);
        var metadata = ExtProcResponses.LbMetadata(destination);

        if (!hasBody || _requestMode == BodyMode.FullDuplex)
        {
            await WriteAsync(new ProcessingResponse { RequestHeaders = new HeadersResponse { Response = routing }, DynamicMetadata = metadata }).ConfigureAwait(false);
            _p.Metrics.PickerLatency(_p.Time.GetElapsedTime(bodyEnd));
            if (hasBody)
                await StreamBodyAsync(outBody, trailersFollow).ConfigureAwait(false);
            return true;
        }

        // STREAMED / BUFFERED: the headers were answered already; the decision rides on this body answer.
        if (_modelRewritten || _heldChunks > 0)
            routing.BodyMutation = new BodyMutation { Body = UnsafeByteOperations.UnsafeWrap(outBody) };
        await WriteAsync(new ProcessingResponse { RequestBody = new BodyResponse { Response = routing }, DynamicMetadata = metadata }).ConfigureAwait(false);
        _p.Metrics.PickerLatency(_p.Time.GetElapsedTime(bodyEnd));
        return true;
    }

    private ulong[] HashPrompt(in OpenAiRequest parsed)
    {
        _promptScratch ??= new PooledBuffer();
        var text = PromptText.Get(_body.Span, parsed, _promptScratch, _p.Hasher.MaxPromptBytes);
        return _p.Hasher.Hash(_targetModel, text);
    }

    private string Destination(ScheduleResponse response)
    {
        if (!_p.Options.IncludeFallbacks || response.Fallbacks.Count == 0)
            return response.Endpoint!;
        return response.Endpoint + "," + string.Join(',', response.Fallbacks);
    }

    private async ValueTask StreamBodyAsync(ReadOnlyMemory<byte> body, bool trailersFollow)
    {
        var chunk = _p.Options.ChunkBytes;
        if (body.IsEmpty)
        {
            await WriteAsync(ExtProcResponses.StreamedChunk(true, ByteString.Empty, !trailersFollow)).ConfigureAwait(false);
            return;
        }
        for (var offset = 0; offset < body.Length; offset += chunk)
        {
            var size = Math.Min(chunk, body.Length - offset);
            var last = offset + size >= body.Length;
            // The buffer outlives the write (serialization happens inside WriteAsync), so wrapping it is safe.
            var bytes = UnsafeByteOperations.UnsafeWrap(body.Slice(offset, size));
            await WriteAsync(ExtProcResponses.StreamedChunk(true, bytes, last && !trailersFollow)).ConfigureAwait(false);
        }
    }

    private static (int Status, string Code) MapOutcome(ScheduleResponse response) => response.Outcome switch
    {
        ScheduleOutcome.BadRequest => (400, "BadRequest"),
        ScheduleOutcome.Shed => (429, "InferencePoolResourceExhausted"),
        ScheduleOutcome.QueueFull => (429, "ResourceExhausted"),
        ScheduleOutcome.NoCandidates => (503, "ServiceUnavailable"),
        ScheduleOutcome.Expired => (503, "ServiceUnavailable"),
        ScheduleOutcome.Cancelled => (503, "ServiceUnavailable"),
        // Scheduled without an endpoint is a scheduler bug; refuse rather than guess.
        _ => (response.StatusCode is >= 400 and < 600 ? response.StatusCode : 503, "ServiceUnavailable"),
    };

    private async ValueTask RejectAsync(int status, string code, string reason)
    {
        LogRejected(_p.Logger, _requestId, status, code, reason);
        _p.Metrics.Request(_model, CriticalityName(_criticality), "rejected_" + status.ToString(System.Globalization.CultureInfo.InvariantCulture));
        _decided = true;
        await WriteAsync(ExtProcResponses.Error(status, code, reason)).ConfigureAwait(false);
    }

    private static string CriticalityName(Criticality c) => c switch
    {
        Criticality.Critical => "critical",
        Criticality.Sheddable => "sheddable",
        _ => "standard",
    };

    // ---------------- response path ----------------

    private async ValueTask<bool> OnResponseHeadersAsync(HttpHeaders headers)
    {
        var sse = false;
        if (headers.Headers is { } map)
        {
            foreach (var h in map.Headers)
            {
                if (h.Key == ":status" && int.TryParse(h.Text(), System.Globalization.CultureInfo.InvariantCulture, out var s))
                    _responseStatus = s;
                else if (h.Key == "content-type")
                    sse = h.Text().StartsWith("text/event-stream", StringComparison.OrdinalIgnoreCase);
            }
        }
        var rewriter = _modelRewritten && _p.Options.RestoreModelInResponse ? new JsonModelRewriter(_targetModel, _model) : null;
        _responseBody?.Dispose();
        _responseBody = new ResponseBodyProcessor(sse, rewriter, _p.Options.MaxBodyBytes);

        var common = new CommonResponse();
        if (rewriter is not null && !headers.EndOfStream)
        {
            // The restored name may differ in length from the served one.
            common.HeaderMutation = new HeaderMutation();
            common.HeaderMutation.RemoveHeaders.Add("content-length");
        }
        await WriteAsync(new ProcessingResponse { ResponseHeaders = new HeadersResponse { Response = common } }).ConfigureAwait(false);
        if (headers.EndOfStream)
            await ReportCompletionAsync().ConfigureAwait(false);
        return true;
    }

    private async ValueTask<bool> OnResponseBodyAsync(HttpBody body)
    {
        _responseBody ??= new ResponseBodyProcessor(false, null, _p.Options.MaxBodyBytes);
        var passThrough = _responseBody.Process(body.Body.Memory, body.EndOfStream, out var output);
        _p.Metrics.ResponseBody(body.Body.Length);
        if (_responseMode == BodyMode.FullDuplex)
        {
            // Every body answer in FULL_DUPLEX_STREAMED must carry streamed_response (an empty one is "spurious").
            if (!output.IsEmpty || body.EndOfStream)
            {
                var bytes = passThrough ? body.Body : UnsafeByteOperations.UnsafeWrap(output);
                await WriteAsync(ExtProcResponses.StreamedChunk(false, bytes, body.EndOfStream)).ConfigureAwait(false);
            }
        }
        else
        {
            var common = new CommonResponse();
            if (!passThrough)
                common.BodyMutation = new BodyMutation { Body = UnsafeByteOperations.UnsafeWrap(output) };
            await WriteAsync(new ProcessingResponse { ResponseBody = new BodyResponse { Response = common } }).ConfigureAwait(false);
        }
        if (body.EndOfStream)
            await ReportCompletionAsync().ConfigureAwait(false);
        return true;
    }

    private async ValueTask<bool> OnResponseTrailersAsync()
    {
        if (_responseBody is not null && _responseMode == BodyMode.FullDuplex)
        {
            var passThrough = _responseBody.Process(ReadOnlyMemory<byte>.Empty, true, out var output);
            if (!passThrough && !output.IsEmpty)
                await WriteAsync(ExtProcResponses.StreamedChunk(false, UnsafeByteOperations.UnsafeWrap(output), false)).ConfigureAwait(false);
        }
        await WriteAsync(new ProcessingResponse { ResponseTrailers = new TrailersResponse() }).ConfigureAwait(false);
        await ReportCompletionAsync().ConfigureAwait(false);
        return true;
    }

    // ---------------- completion ----------------

    private ValueTask ReportCompletionAsync() => ReportAsync(_responseStatus);

    private async ValueTask ReportAsync(int status)
    {
        if (_completionReported || !_scheduleStarted)
            return;
        _completionReported = true;
        var completion = new RequestCompletion(
            _requestId,
            _scheduled?.SchedulerReplica ?? "",
            _scheduled?.Endpoint ?? "",
            status,
            _responseBody?.PromptTokens ?? 0,
            _responseBody?.CompletionTokens ?? 0,
            _p.Time.GetUtcNow().ToUnixTimeMilliseconds());
        try
        {
            // The stream may already be gone; the report must still reach the scheduler.
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10), _p.Time);
            await _p.Scheduling.CompleteAsync(completion, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogCompletionFailed(_p.Logger, _requestId, ex);
        }
    }

    private async ValueTask OnStreamEndAsync(bool clean)
    {
        if (_scheduleStarted && !_completionReported)
        {
            // Reset or ended early: free the queue slot / in-flight accounting. When the schedule call itself was
            // cancelled the report still goes out, in case the scheduler placed the request as we gave up.
            var status = _responseStatus != 0 ? _responseStatus : ClientClosedRequest;
            LogAbandoned(_p.Logger, _requestId, status);
            if (!_decided)
                _p.Metrics.Request(_model, CriticalityName(_criticality), "cancelled");
            await ReportAsync(clean && _responseStatus != 0 ? _responseStatus : status).ConfigureAwait(false);
        }
    }

    private ValueTask WriteAsync(ProcessingResponse response) => _writer.WriteAsync(response, _ct);

    public void Dispose()
    {
        _body.Dispose();
        _rewrittenBody?.Dispose();
        _promptScratch?.Dispose();
        _responseBody?.Dispose();
    }
}
