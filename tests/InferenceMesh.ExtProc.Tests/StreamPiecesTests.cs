using System.Text;
using Google.Protobuf.WellKnownTypes;
using InferenceMesh.Contracts;
using InferenceMesh.Grpc.Envoy.Config.Core.V3;
using InferenceMesh.Grpc.Envoy.Service.ExtProc.V3;
using InferenceMesh.Prefix.Hashing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using static InferenceMesh.ExtProc.Tests.EnvoyMessages;

namespace InferenceMesh.ExtProc.Tests;

/// <summary>The pieces the ext_proc stream is made of, each without a server: request facts, body, scheduling step,
/// decision answer, response phase and completion.</summary>
public sealed class StreamPiecesTests
{
    // ---------------- request facts ----------------

    [Fact]
    public void RequestFacts_ReadsTheGieHeaders()
    {
        var m = RequestHeaders(endOfStream: false, contentLength: 10, extra:
            [("x-gateway-inference-objective", "chat-critical"), ("x-gateway-model-name-rewrite", "forced"), ("x-gateway-inference-fairness-id", "tenant-3")]);
        var facts = RequestFacts.Read(m.RequestHeaders, m.MetadataContext);
        Assert.Equal(("req-1", false, "chat-critical", "forced", "tenant-3", true, 10L), (facts.RequestId, facts.RequestIdGenerated, facts.Objective, facts.ModelRewrite, facts.FairnessId, facts.HasContentLength, facts.ContentLength));
        Assert.Null(facts.Subset);
    }

    [Theory]
    [InlineData("1500", 1500)]
    [InlineData("soon", -1)]
    [InlineData("-5", -1)]
    public void RequestFacts_TtftObjective_ParsedOrMinusOneForTheSchedulerToRefuse(string header, int expected)
    {
        var m = RequestHeaders(endOfStream: true, extra: [(HeaderNames.TtftSlo, header)]);
        Assert.Equal(expected, RequestFacts.Read(m.RequestHeaders, null).TtftSloMs);
    }

    [Fact]
    public void RequestFacts_MissingRequestIdAndFairness_AreGeneratedAndDefaulted()
    {
        var m = RequestHeaders(endOfStream: true);
        m.RequestHeaders.Headers.Headers.Remove(m.RequestHeaders.Headers.Headers.First(h => h.Key == HeaderNames.RequestId));
        var facts = RequestFacts.Read(m.RequestHeaders, null);
        Assert.True(facts.RequestIdGenerated);
        Assert.True(Guid.TryParse(facts.RequestId, out _));
        Assert.Equal(HeaderNames.DefaultFairnessId, facts.FairnessId);
        Assert.False(facts.HasContentLength);
        Assert.Null(facts.ContentLength);
    }

    [Fact]
    public void RequestFacts_UnparseableContentLength_IsPresentWithoutAValue()
    {
        var m = RequestHeaders(endOfStream: false, extra: [("content-length", "-5")]);
        var facts = RequestFacts.Read(m.RequestHeaders, null);
        Assert.True(facts.HasContentLength);
        Assert.Null(facts.ContentLength);
    }

    [Fact]
    public void RequestBody_SizedFromContentLength_HoldsTheWholeBody()
    {
        using var body = new RequestBody();
        body.Expect(300_000, 1 << 20);
        var chunk = new byte[16 * 1024];
        chunk.AsSpan().Fill((byte)'x');
        for (var i = 0; i < 18; i++)
            Assert.True(body.TryAppend(chunk, 1 << 20));
        Assert.Equal(18 * chunk.Length, body.Length);
        Assert.All(body.Outgoing.ToArray(), b => Assert.Equal((byte)'x', b));
    }

    [Fact]
    public void RequestBody_OneMessage_IsUsedWhereItIs_SeveralAreJoined()
    {
        var first = "{\"model\":\"m\","u8.ToArray();
        var second = "\"prompt\":\"hi\"}"u8.ToArray();
        using (var single = new RequestBody())
        {
            single.Expect(first.Length, 1 << 20);
            Assert.True(single.TryAppend(first, 1 << 20));
            Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(single.Outgoing, out var segment));
            Assert.Same(first, segment.Array);
        }
        using var joined = new RequestBody();
        Assert.True(joined.TryAppend(first, 1 << 20));
        Assert.True(joined.TryAppend(second, 1 << 20));
        Assert.Equal(first.Length + second.Length, joined.Length);
        Assert.Equal([.. first, .. second], joined.Outgoing.ToArray());
        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(joined.Outgoing, out var copy));
        Assert.NotSame(first, copy.Array);
        Assert.True(joined.TryParse(1 << 20, 256, out var model, out _));
        Assert.Equal("m", model);
    }

    [Theory]
    [InlineData("list")]
    [InlineData("csv")]
    public void RequestFacts_SubsetHint_ListOrCommaSeparated(string shape)
    {
        var hint = shape == "list"
            ? Value.ForList(Value.ForString("10.0.0.5:8000"), Value.ForString("10.0.0.6:8000,10.0.0.7:8000"))
            : Value.ForString(" 10.0.0.5:8000,10.0.0.6:8000 ,10.0.0.7:8000,");
        var m = RequestHeaders(endOfStream: true, subset: hint);
        Assert.Equal(["10.0.0.5:8000", "10.0.0.6:8000", "10.0.0.7:8000"], RequestFacts.Read(m.RequestHeaders, m.MetadataContext).Subset);
    }

    [Fact]
    public void RequestFacts_EmptySubsetHint_IsAnEmptyListNotAbsent()
    {
        var m = RequestHeaders(endOfStream: true, subset: Value.ForList());
        Assert.Equal(0, RequestFacts.Read(m.RequestHeaders, m.MetadataContext).Subset?.Count);
    }

    // ---------------- request body: parse, rewrite, hash ----------------

    [Fact]
    public void RequestBody_OverTheLimit_IsRefusedAndNotAppended()
    {
        using var body = new RequestBody();
        Assert.True(body.TryAppend(new byte[600], 1000));
        Assert.False(body.TryAppend(new byte[401], 1000));
        Assert.Equal(600, body.Length);
    }

    [Theory]
    [InlineData("""{"prompt":"hi"}""", "model not found in request body")]
    [InlineData("""{"model":"", "prompt":"hi"}""", "model not found in request body")]
    [InlineData("""{"model": "x", "prompt": """, "invalid request body")]
    public void RequestBody_BadBody_Is400(string json, string reason)
    {
        using var body = new RequestBody();
        body.TryAppend(Encoding.UTF8.GetBytes(json), 1 << 20);
        Assert.False(body.TryParse(int.MaxValue, 256, out _, out var rejection));
        Assert.Equal((400, "BadRequest"), (rejection.Status, rejection.Code));
        Assert.StartsWith(reason, rejection.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void RequestBody_RewriteModel_ChangesOnlyTheModelValue()
    {
        using var body = new RequestBody();
        body.TryAppend("""{"model" : "chat","prompt":"model chat","x":{"model":"chat"}}"""u8.ToArray(), 1 << 20);
        Assert.True(body.TryParse(int.MaxValue, 256, out var model, out _));
        Assert.Equal("chat", model);
        Assert.Equal("""{"model" : "chat","prompt":"model chat","x":{"model":"chat"}}""", Encoding.UTF8.GetString(body.Outgoing.Span));
        body.RewriteModel("qwen-lora-a");
        Assert.Equal("""{"model" : "qwen-lora-a","prompt":"model chat","x":{"model":"chat"}}""", Encoding.UTF8.GetString(body.Outgoing.Span));
    }

    [Fact]
    public void RequestBody_Hash_IsTheChainOfThePromptUnderTheTargetModel()
    {
        var prompt = new string('p', 64 * 5);
        using var body = new RequestBody();
        body.TryAppend(Encoding.UTF8.GetBytes($$"""{"model":"m","prompt":"{{prompt}}"}"""), 1 << 20);
        Assert.True(body.TryParse(int.MaxValue, 256, out _, out _));
        var hasher = new PrefixPromptHasher(Options.Create(new PrefixHashOptions()));
        var hashes = body.Hash(hasher, "target");
        Assert.Equal(5, hashes.Length);
        Assert.Equal(hasher.Hash("target", Encoding.UTF8.GetBytes(prompt)), hashes);
        Assert.NotEqual(hasher.Hash("m", Encoding.UTF8.GetBytes(prompt)), hashes);
    }

    // ---------------- scheduling step ----------------

    [Theory]
    [InlineData(ScheduleOutcome.Shed, 429, 429, "InferencePoolResourceExhausted")]
    [InlineData(ScheduleOutcome.QueueFull, 429, 429, "ResourceExhausted")]
    [InlineData(ScheduleOutcome.NoCandidates, 503, 503, "ServiceUnavailable")]
    [InlineData(ScheduleOutcome.Expired, 503, 503, "ServiceUnavailable")]
    [InlineData(ScheduleOutcome.Cancelled, 503, 503, "ServiceUnavailable")]
    [InlineData(ScheduleOutcome.BadRequest, 400, 400, "BadRequest")]
    [InlineData(ScheduleOutcome.Scheduled, 200, 503, "ServiceUnavailable")]
    public void Rejection_FromSchedulerOutcome_FollowsGie(ScheduleOutcome outcome, int schedulerStatus, int status, string code)
    {
        var r = Rejection.From(new ScheduleResponse(outcome, null, [], schedulerStatus, "why", "s", 0));
        Assert.Equal((status, code, "why"), (r.Status, r.Code, r.Reason));
    }

    [Fact]
    public async Task SchedulingStep_SchedulerThrows_IsA503NotAForward()
    {
        var scheduler = new FakeSchedulingService { Handler = (_, _) => throw new HttpRequestException("connection refused") };
        var result = await new SchedulingStep(scheduler, false, NullLogger.Instance).ScheduleAsync(Request(), CancellationToken.None);
        Assert.False(result.IsScheduled);
        // A fixed reason: no exception text reaches the client.
        Assert.Equal((503, "scheduler unavailable"), (result.Rejection.Status, result.Rejection.Reason));
    }

    [Fact]
    public async Task SchedulingStep_ScheduledWithoutEndpoint_IsRefused()
    {
        var scheduler = new FakeSchedulingService { Handler = (_, _) => Task.FromResult(FakeSchedulingService.Scheduled("")) };
        var result = await new SchedulingStep(scheduler, false, NullLogger.Instance).ScheduleAsync(Request(), CancellationToken.None);
        Assert.False(result.IsScheduled);
        Assert.Equal(503, result.Rejection.Status);
    }

    [Theory]
    [InlineData(false, "10.0.0.1:8000")]
    [InlineData(true, "10.0.0.1:8000,10.0.0.2:8000,10.0.0.3:8000")]
    public async Task SchedulingStep_Destination_IsPrimaryOrPrimaryThenFallbacks(bool includeFallbacks, string expected)
    {
        var scheduler = new FakeSchedulingService { Handler = (_, _) => Task.FromResult(FakeSchedulingService.Scheduled("10.0.0.1:8000", "10.0.0.2:8000", "10.0.0.3:8000")) };
        var result = await new SchedulingStep(scheduler, includeFallbacks, NullLogger.Instance).ScheduleAsync(Request(), CancellationToken.None);
        Assert.True(result.IsScheduled);
        Assert.Equal(expected, result.Destination);
    }

    [Fact]
    public async Task SchedulingStep_CallerCancelled_Throws()
    {
        var scheduler = new FakeSchedulingService();
        scheduler.BlockUntilCancelled();
        using var cts = new CancellationTokenSource();
        var pending = new SchedulingStep(scheduler, false, NullLogger.Instance).ScheduleAsync(Request(), cts.Token).AsTask();
        await scheduler.ScheduleEntered.Task.WaitAsync(ExtProcCall.Patience);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending);
    }

    private static ScheduleRequest Request() => new("r", "pool", "m", "m", Criticality.Standard, "f", [], 0, [], 0);

    // ---------------- decision answer ----------------

    [Theory]
    [InlineData(150_000, 62_000, false, 3)]
    [InlineData(124_000, 62_000, false, 2)]
    [InlineData(10, 4, true, 3)]
    [InlineData(0, 62_000, false, 1)]
    public async Task DecisionAnswer_HeadersAnswerAndTheBodyInBoundedChunks(int size, int chunkBytes, bool trailersFollow, int chunks)
    {
        var body = new byte[size];
        for (var i = 0; i < body.Length; i++)
            body[i] = (byte)(i % 251);
        var writer = new CollectingWriter();
        var headers = DecisionAnswer.HeadersAnswer("10.0.0.1:8000,10.0.0.2:8000", null, size);
        await DecisionAnswer.RestreamAsync(writer, body, chunkBytes, trailersFollow, CancellationToken.None);


        Assert.Equal(ProcessingResponse.ResponseOneofCase.RequestHeaders, headers.ResponseCase);
        Assert.True(headers.RequestHeaders.Response.ClearRouteCache);
        var destination = HeaderValue(headers.RequestHeaders.Response.HeaderMutation, HeaderNames.DestinationEndpoint);
        Assert.Equal("10.0.0.1:8000,10.0.0.2:8000", destination);
        Assert.Equal(destination, headers.DynamicMetadata.Fields[HeaderNames.EnvoyLbNamespace].StructValue.Fields[HeaderNames.DestinationEndpoint].StringValue);
        Assert.Equal(size.ToString(System.Globalization.CultureInfo.InvariantCulture), HeaderValue(headers.RequestHeaders.Response.HeaderMutation, "content-length"));
        Assert.Equal("", HeaderValue(headers.RequestHeaders.Response.HeaderMutation, HeaderNames.RequestId));

        var streamed = writer.Messages.Select(m => m.RequestBody.Response.BodyMutation.StreamedResponse).ToList();
        Assert.Equal(chunks, streamed.Count);
        Assert.All(streamed, s => Assert.InRange(s.Body.Length, size == 0 ? 0 : 1, chunkBytes));
        Assert.Equal(body, streamed.SelectMany(s => s.Body.ToByteArray()).ToArray());
        Assert.Equal(!trailersFollow, streamed[^1].EndOfStream);
        Assert.All(streamed.SkipLast(1), s => Assert.False(s.EndOfStream));
    }

    [Fact]
    public void DecisionAnswer_NoBody_HeadersAnswerWithTheGeneratedRequestIdAndNoLength()
    {
        var only = DecisionAnswer.HeadersAnswer("10.0.0.1:8000", "generated-id", null);
        Assert.Equal("generated-id", HeaderValue(only.RequestHeaders.Response.HeaderMutation, HeaderNames.RequestId));
        Assert.Equal("", HeaderValue(only.RequestHeaders.Response.HeaderMutation, "content-length"));
    }

    [Fact]
    public void DecisionAnswer_BodyAnswer_CarriesTheDecisionAndTheReplacementBody()
    {
        var answer = DecisionAnswer.BodyAnswer("10.0.0.1:8000", null, 5, "hello"u8.ToArray());
        Assert.Equal(ProcessingResponse.ResponseOneofCase.RequestBody, answer.ResponseCase);
        Assert.Equal("10.0.0.1:8000", HeaderValue(answer.RequestBody.Response.HeaderMutation, HeaderNames.DestinationEndpoint));
        Assert.Equal("hello", answer.RequestBody.Response.BodyMutation.Body.ToStringUtf8());
        Assert.NotNull(answer.DynamicMetadata);
        Assert.Null(DecisionAnswer.BodyAnswer("10.0.0.1:8000", null, null, null).RequestBody.Response.BodyMutation);
    }

    // ---------------- response phase ----------------

    [Fact]
    public void ResponsePhase_FullDuplexWithRewrite_RestoresTheModelAndHoldsPartialLines()
    {
        using var phase = new ResponsePhase(BodyMode.FullDuplex, 1 << 20);
        var headers = phase.OnHeaders(ResponseHeaders(200, "text/event-stream").ResponseHeaders, new JsonModelRewriter("served", "asked"));
        Assert.Equal(200, phase.Status);
        Assert.Contains("content-length", headers.ResponseHeaders.Response.HeaderMutation.RemoveHeaders);

        Assert.Null(phase.OnBody(ResponseBody("data: {\"model\":\"ser", false).ResponseBody));
        var line = phase.OnBody(ResponseBody("ved\",\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1}}\n\ndata: [DO", false).ResponseBody)!;
        Assert.Equal("data: {\"model\":\"asked\",\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1}}\n\n", line.ResponseBody.Response.BodyMutation.StreamedResponse.Body.ToStringUtf8());
        var flushed = phase.FlushBeforeTrailers()!;
        Assert.Equal("data: [DO", flushed.ResponseBody.Response.BodyMutation.StreamedResponse.Body.ToStringUtf8());
        Assert.False(flushed.ResponseBody.Response.BodyMutation.StreamedResponse.EndOfStream);
        Assert.Equal((3, 1), (phase.PromptTokens, phase.CompletionTokens));
    }

    [Fact]
    public void ResponsePhase_FullDuplexWithoutRewrite_PassesTheSameBytesOn()
    {
        using var phase = new ResponsePhase(BodyMode.FullDuplex, 1 << 20);
        var headers = phase.OnHeaders(ResponseHeaders(503, "application/json").ResponseHeaders, null);
        Assert.Null(headers.ResponseHeaders.Response.HeaderMutation);
        var chunk = ResponseBody("{\"error\":", false).ResponseBody;
        var answer = phase.OnBody(chunk)!;
        Assert.Same(chunk.Body, answer.ResponseBody.Response.BodyMutation.StreamedResponse.Body);
        Assert.Null(phase.FlushBeforeTrailers());
        Assert.Equal(503, phase.Status);
    }

    [Fact]
    public void ResponsePhase_BufferedWithRewrite_AnswersEveryChunkAndReplacesTheBodyAtTheEnd()
    {
        using var phase = new ResponsePhase(BodyMode.Buffered, 1 << 20);
        phase.OnHeaders(ResponseHeaders(200, "application/json").ResponseHeaders, new JsonModelRewriter("served", "asked"));
        var first = phase.OnBody(ResponseBody("{\"model\":\"served\",", false).ResponseBody)!;
        Assert.Equal(ProcessingResponse.ResponseOneofCase.ResponseBody, first.ResponseCase);
        Assert.Equal("", first.ResponseBody.Response.BodyMutation.Body.ToStringUtf8());
        var last = phase.OnBody(ResponseBody("\"usage\":{\"prompt_tokens\":4,\"completion_tokens\":2}}", true).ResponseBody)!;
        Assert.Equal("{\"model\":\"asked\",\"usage\":{\"prompt_tokens\":4,\"completion_tokens\":2}}", last.ResponseBody.Response.BodyMutation.Body.ToStringUtf8());
        Assert.Equal((4, 2), (phase.PromptTokens, phase.CompletionTokens));
    }

    [Theory]
    [InlineData("{\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":2,\"prompt_tokens_details\":{\"audio_tokens\":0,\"cached_tokens\":48}}}", 9, 2, 48)]
    [InlineData("{\"usage\":{\"prompt_tokens_details\":{\"cached_tokens\":16},\"prompt_tokens\":9,\"completion_tokens\":2}}", 9, 2, 16)]
    [InlineData("{\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":2,\"prompt_tokens_details\":null}}", 9, 2, null)]
    [InlineData("{\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":2,\"prompt_tokens_details\":{\"cached_tokens\":-1}}}", 9, 2, null)]
    [InlineData("{\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":2,\"prompt_tokens_details\":{\"cached_tokens\":\"7\"}}}", 9, 2, null)]
    public void UsageReader_ReadsTheCachedTokensWhenTheServerReportsThem(string json, int prompt, int completion, int? cached)
    {
        Assert.True(UsageReader.TryRead(System.Text.Encoding.UTF8.GetBytes(json), out var usage));
        Assert.Equal(new TokenUsage(prompt, completion, cached), usage);
    }

    [Fact]
    public void ResponsePhase_Sse_KeepsTheCachedTokensOfTheUsageEvent()
    {
        using var phase = new ResponsePhase(BodyMode.FullDuplex, 1 << 20);
        phase.OnHeaders(ResponseHeaders(200, "text/event-stream").ResponseHeaders, null);
        phase.OnBody(ResponseBody("data: {\"choices\":[],\"usage\":{\"prompt_tokens\":64,\"completion_tokens\":1,\"prompt_tokens_details\":{\"cached_tokens\":32}}}\n\n", false).ResponseBody);
        phase.OnBody(ResponseBody("data: [DONE]\n\n", true).ResponseBody);
        Assert.Equal((64, 1, (int?)32), (phase.PromptTokens, phase.CompletionTokens, phase.CachedTokens));
    }

    // ---------------- completion ----------------

    [Fact]
    public async Task CompletionTracker_ReportsOnceAfterSchedulingStarted()
    {
        var scheduler = new FakeSchedulingService();
        var tracker = new CompletionTracker(scheduler, new FixedTime(1_700_000_000_000), NullLogger.Instance);
        await tracker.ReportAsync(200, 1, 1);
        Assert.Empty(scheduler.Completions);

        tracker.Started("req-9");
        Assert.True(tracker.Pending);
        tracker.Scheduled(FakeSchedulingService.Scheduled("10.0.0.1:8000"));
        await tracker.ReportAsync(200, 12, 3);
        await tracker.ReportAsync(499, 0, 0);
        Assert.False(tracker.Pending);
        Assert.Equal(new RequestCompletion("req-9", "scheduler-a", "10.0.0.1:8000", 200, 12, 3, 1_700_000_000_000), Assert.Single(scheduler.Completions));
    }

    [Fact]
    public async Task CompletionTracker_CancelledBeforeAnEndpoint_StillReportsWithoutOne()
    {
        var scheduler = new FakeSchedulingService();
        var tracker = new CompletionTracker(scheduler, new FixedTime(5), NullLogger.Instance);
        tracker.Started("req-10");
        await tracker.ReportAsync(499, 0, 0);
        Assert.Equal(new RequestCompletion("req-10", "", "", 499, 0, 0, 5), Assert.Single(scheduler.Completions));
    }

    [Fact]
    public async Task CompletionTracker_FirstBytes_TheEarliestIsReported()
    {
        var scheduler = new FakeSchedulingService();
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(1_000));
        var tracker = new CompletionTracker(scheduler, time, NullLogger.Instance);
        tracker.Started("req-11");
        tracker.Scheduled(FakeSchedulingService.Scheduled("10.0.0.1:8000"));
        time.Advance(TimeSpan.FromMilliseconds(250));
        tracker.FirstBytes();
        time.Advance(TimeSpan.FromMilliseconds(150));
        tracker.FirstBytes();
        time.Advance(TimeSpan.FromMilliseconds(1_600));
        await tracker.ReportAsync(200, 12, 40);
        var completion = Assert.Single(scheduler.Completions);
        Assert.Equal((1_250, 3_000), (completion.FirstTokenAtUnixMs, completion.CompletedAtUnixMs));
    }

    private sealed class FixedTime(long unixMs) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => DateTimeOffset.FromUnixTimeMilliseconds(unixMs);
    }
}
