using Grpc.Core;
using InferenceMesh.Contracts;
using InferenceMesh.Grpc.Envoy.Extensions.Filters.Http.ExtProc.V3;
using InferenceMesh.Grpc.Envoy.Service.ExtProc.V3;

namespace InferenceMesh.ExtProc;

/// <summary>One ext_proc stream = one HTTP request through Envoy. Messages are handled strictly in order on one loop, so
/// answers go out in the order Envoy requires and no locking is needed. The work is done by small pieces: the request
/// facts (<see cref="RequestFacts"/>), the body (<see cref="RequestBody"/>: parse, rewrite, hash), the model
/// (<see cref="ModelResolver"/>), the scheduler (<see cref="SchedulingStep"/>), the answer (<see cref="DecisionAnswer"/>),
/// the response (<see cref="ResponsePhase"/>) and the completion (<see cref="CompletionTracker"/>).</summary>
internal sealed partial class ExtProcStream : IDisposable
{
    private const int ClientClosedRequest = 499;

    private readonly ExtProcProcessor _p;
    private readonly IAsyncStreamWriter<ProcessingResponse> _writer;
    private readonly CancellationToken _ct;
    private readonly RequestBody _body = new();
    private readonly CompletionTracker _completion;
    private BodyMode _requestMode;
    private BodyMode _responseMode;
    private bool _modeKnown;
    private RequestFacts? _facts;
    private int _heldChunks;
    private bool _requestEnded;
    private bool _decided;
    private string _model = "";
    // Until the body is resolved (a parse failure, a reset) metrics count the request under the bounded "_other" label.
    private ResolvedModel _resolved = new(default, "", false, ModelResolver.OtherModel, ModelResolver.OtherModel);
    private bool _modelRewritten;
    private ResponsePhase? _response;
    private long _startedAt;
    private long _responseBytes;
    private bool _running;

    public ExtProcStream(ExtProcProcessor processor, IAsyncStreamWriter<ProcessingResponse> writer, CancellationToken cancellationToken)
    {
        _p = processor;
        _writer = writer;
        _ct = cancellationToken;
        _requestMode = processor.DefaultMode;
        _responseMode = processor.DefaultMode;
        _completion = new CompletionTracker(processor.Scheduling, processor.Time, processor.Logger);
    }

    private string RequestId => _facts?.RequestId ?? "";

    /// <summary>Handles messages until the client half-closes or a rejection ends the stream; always settles the completion.</summary>
    public async Task RunAsync(IAsyncStreamReader<ProcessingRequest> reader)
    {
        try
        {
            while (await reader.MoveNext(_ct).ConfigureAwait(false))
            {
                if (!await HandleAsync(reader.Current).ConfigureAwait(false))
                    break;
            }
        }
        catch (Exception ex) when (ex is not RpcException)
        {
            await OnFailureAsync(ex).ConfigureAwait(false);
        }
        finally
        {
            await OnStreamEndAsync().ConfigureAwait(false);
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
            ProcessingRequest.RequestOneofCase.ResponseHeaders => OnResponseHeadersAsync(message.ResponseHeaders, message.MetadataContext),
            ProcessingRequest.RequestOneofCase.ResponseBody => OnResponseBodyAsync(message.ResponseBody),
            ProcessingRequest.RequestOneofCase.ResponseTrailers => OnResponseTrailersAsync(),
            _ => throw new RpcException(new Status(StatusCode.InvalidArgument, "ProcessingRequest carries no request or response phase")),
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
        _startedAt = _p.Time.GetTimestamp();
        _facts = RequestFacts.Read(message.RequestHeaders, message.MetadataContext, _p.Options.ConformanceTestHooks);
        _body.Expect(_facts.ContentLength, _p.Options.MaxBodyBytes);
        if (message.RequestHeaders.EndOfStream)
        {
            _requestEnded = true;
            return await DecideAsync(hasBody: false, trailersFollow: false).ConfigureAwait(false);
        }
        if (_requestMode != BodyMode.FullDuplex)
            await WriteAsync(new ProcessingResponse { RequestHeaders = new HeadersResponse { Response = new CommonResponse() } }).ConfigureAwait(false);
        return true;
    }

    private async ValueTask<bool> OnRequestBodyAsync(HttpBody body)
    {
        if (_requestEnded)
            throw new RpcException(new Status(StatusCode.FailedPrecondition, "request body after the end of the request"));
        if (!_body.TryAppend(body.Body.Memory, _p.Options.MaxBodyBytes))
            return await RejectAsync(Rejection.PayloadTooLarge($"request body exceeds {_p.Options.MaxBodyBytes} bytes")).ConfigureAwait(false);

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
            await WriteAsync(ExtProcResponses.ClearedBodyChunk()).ConfigureAwait(false);
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
        var facts = _facts ??= RequestFacts.Read(new HttpHeaders(), null);
        _p.Metrics.RequestBody(_body.Length);
        if (hasBody && !_body.TryParse(_p.Hasher.MaxPromptBytes, _p.Options.MaxModelNameLength, out _model, out var bad))
            return await RejectAsync(bad).ConfigureAwait(false);

        _resolved = _p.Resolver.Resolve(_model, facts.Objective, facts.ModelRewrite);
        if (hasBody && !_resolved.Known && _p.RejectUnknownModels)
            return await RejectAsync(Rejection.ModelNotFound).ConfigureAwait(false);
        _p.Reference.Received(_resolved.Label, _resolved.IndexModel, _body.Length);
        _modelRewritten = hasBody && !string.Equals(_resolved.TargetModel, _model, StringComparison.Ordinal);
        if (_modelRewritten)
            _body.RewriteModel(_resolved.TargetModel);
        if (facts.Subset is { Count: 0 })
            return await RejectAsync(Rejection.Unavailable("the subset hint lists no endpoints")).ConfigureAwait(false);

        var hashes = hasBody ? _body.Hash(_p.Hasher, _resolved.IndexModel) : [];
        _completion.Started(facts.RequestId);
        var scheduleStart = _p.Time.GetTimestamp();
        var result = await _p.Scheduler.ScheduleAsync(new ScheduleRequest(facts.RequestId, _p.Options.Pool, _model, _resolved.IndexModel,
            _resolved.Criticality, facts.FairnessId, hashes, _body.Length, facts.Subset ?? [], _p.Options.QueueTtlMs, facts.TtftSloMs), _ct).ConfigureAwait(false);
        _p.Reference.Decision(_p.Time.GetElapsedTime(scheduleStart));
        if (!result.IsScheduled)
            return await RejectAsync(result.Rejection).ConfigureAwait(false);

        _completion.Scheduled(result.Response!);
        _decided = true;
        _running = true;
        _p.Reference.Started(_resolved.Label, _resolved.IndexModel);
        LogScheduled(_p.Logger, facts.RequestId, _model, _resolved.TargetModel, _resolved.Criticality, result.Destination, result.Response!.SchedulerReplica);
        _p.Metrics.Request(_resolved.Label, CriticalityName(_resolved.Criticality), "scheduled");
        await AnswerAsync(result.Destination, hasBody, trailersFollow, bodyEnd).ConfigureAwait(false);
        return true;
    }

    private async ValueTask AnswerAsync(string destination, bool hasBody, bool trailersFollow, long bodyEnd)
    {
        var facts = _facts!;
        var outgoing = _body.Outgoing;
        long? contentLength = hasBody && (facts.HasContentLength || _modelRewritten) ? outgoing.Length : null;
        var generatedId = facts.RequestIdGenerated ? facts.RequestId : null;
        if (!hasBody || _requestMode == BodyMode.FullDuplex)
        {
            await WriteAsync(DecisionAnswer.HeadersAnswer(destination, generatedId, contentLength)).ConfigureAwait(false);
            _p.Metrics.PickerLatency(_p.Time.GetElapsedTime(bodyEnd));
            if (hasBody)
                await DecisionAnswer.RestreamAsync(_writer, outgoing, _p.Options.ChunkBytes, trailersFollow, _ct).ConfigureAwait(false);
            return;
        }
        // STREAMED / BUFFERED: the headers were answered already; the decision rides on this body answer.
        var replacement = _modelRewritten || _heldChunks > 0 ? outgoing : default(ReadOnlyMemory<byte>?);
        await WriteAsync(DecisionAnswer.BodyAnswer(destination, generatedId, contentLength, replacement)).ConfigureAwait(false);
        _p.Metrics.PickerLatency(_p.Time.GetElapsedTime(bodyEnd));
    }

    private async ValueTask<bool> RejectAsync(Rejection rejection)
    {
        LogRejected(_p.Logger, RequestId, rejection.Status, rejection.Code, rejection.Reason);
        _p.Reference.Error(_resolved.Label, _resolved.IndexModel, rejection.Code);
        _p.Metrics.Request(_resolved.Label, CriticalityName(_resolved.Criticality), "rejected_" + rejection.Status.ToString(System.Globalization.CultureInfo.InvariantCulture));
        _decided = true;
        await WriteAsync(ExtProcResponses.Error(rejection)).ConfigureAwait(false);
        return false;
    }

    private static string CriticalityName(Criticality c) => c switch
    {
        Criticality.Critical => "critical",
        Criticality.Sheddable => "sheddable",
        _ => "standard",
    };

    // ---------------- response path ----------------

    private async ValueTask<bool> OnResponseHeadersAsync(HttpHeaders headers, InferenceMesh.Grpc.Envoy.Config.Core.V3.Metadata? metadata)
    {
        var served = ServedEndpoint.Read(metadata);
        _completion.Served(served);
        var rewriter = _modelRewritten && _p.Options.RestoreModelInResponse ? new JsonModelRewriter(_resolved.TargetModel, _model) : null;
        _response ??= new ResponsePhase(_responseMode, _p.Options.MaxBodyBytes);
        var answer = _response.OnHeaders(headers, rewriter);
        if (_p.Options.ConformanceTestHooks)
            ConformanceHooks.EchoServed(answer, served);
        await WriteAsync(answer).ConfigureAwait(false);
        if (headers.EndOfStream)
            await ReportCompletionAsync(_response.Status).ConfigureAwait(false);
        return true;
    }

    private async ValueTask<bool> OnResponseBodyAsync(HttpBody body)
    {
        _response ??= new ResponsePhase(_responseMode, _p.Options.MaxBodyBytes);
        _p.Metrics.ResponseBody(body.Body.Length);
        _responseBytes += body.Body.Length;
        if (_response.IsEventStream && !body.Body.IsEmpty)
            _completion.FirstBytes();
        if (_response.OnBody(body) is { } answer)
            await WriteAsync(answer).ConfigureAwait(false);
        if (body.EndOfStream)
            await ReportCompletionAsync(_response.Status).ConfigureAwait(false);
        return true;
    }

    private async ValueTask<bool> OnResponseTrailersAsync()
    {
        if (_response?.FlushBeforeTrailers() is { } last)
            await WriteAsync(last).ConfigureAwait(false);
        await WriteAsync(new ProcessingResponse { ResponseTrailers = new TrailersResponse() }).ConfigureAwait(false);
        await ReportCompletionAsync(_response?.Status ?? 0).ConfigureAwait(false);
        return true;
    }

    private ValueTask ReportCompletionAsync(int status)
    {
        if (_running)
        {
            _running = false;
            _p.Reference.Completed(_resolved.Label, _resolved.IndexModel, _p.Time.GetElapsedTime(_startedAt), _responseBytes,
                _response?.PromptTokens ?? 0, _response?.CompletionTokens ?? 0);
        }
        return _completion.ReportAsync(status, _response?.PromptTokens ?? 0, _response?.CompletionTokens ?? 0, _response?.CachedTokens);
    }

    private async ValueTask OnStreamEndAsync()
    {
        if (!_completion.Pending)
            return;
        // Reset or ended early: free the queue slot / in-flight accounting. When the schedule call itself was cancelled
        // the report still goes out, in case the scheduler placed the request as we gave up.
        var status = _response?.Status ?? 0;
        LogAbandoned(_p.Logger, RequestId, status != 0 ? status : ClientClosedRequest);
        if (!_decided)
            _p.Metrics.Request(_resolved.Label, CriticalityName(_resolved.Criticality), "cancelled");
        await ReportCompletionAsync(status != 0 ? status : ClientClosedRequest).ConfigureAwait(false);
    }

    private Task WriteAsync(ProcessingResponse response) => _writer.WriteAsync(response, _ct);

    public void Dispose()
    {
        _body.Dispose();
        _response?.Dispose();
    }
}
