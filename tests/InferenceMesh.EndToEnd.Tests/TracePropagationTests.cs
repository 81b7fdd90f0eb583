using System.Diagnostics;
using InferenceMesh.EndToEnd.Tests.Support;

namespace InferenceMesh.EndToEnd.Tests;

/// <summary>W3C trace context over plain HTTP headers: one request is one trace whose spans, exported over OTLP by the
/// services themselves, run ext-proc → scheduler → prefix-index with each hop's server span the child of the caller's
/// client span (the Dapr sidecars forward <c>traceparent</c>).</summary>
[Trait("Category", "EndToEnd")]
[Collection(DistributedGroup.Name)]
public sealed class TracePropagationTests(DistributedEnsemble ensemble)
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(120) };

    [Fact]
    public async Task OneRequest_IsOneTrace_ParentLinkedAcrossExtProcSchedulerAndPrefixIndex()
    {
        // The development gateway runs in this process without OpenTelemetry: a listener makes ASP.NET Core start its
        // request activity, so the gateway continues the caller's trace towards ext-proc as an instrumented edge would.
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Microsoft.AspNetCore",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        var traceId = ActivityTraceId.CreateRandom().ToHexString();
        var traceparent = $"00-{traceId}-{ActivitySpanId.CreateRandom().ToHexString()}-01";

        // The caller's context as an ambient activity, not a raw header: HttpClient replaces a traceparent header with its
        // own request activity's whenever any listener in this process samples System.Net.Http.
        using var caller = new Activity("trace-propagation-test").SetParentId(traceparent).Start();
        var r = await OpenAi.SendAsync(Http, ensemble.Gateways[0], DistributedEnsemble.Model,
            [("user", "trace me " + traceId + " " + new string('t', 300))], stream: false, maxTokens: 4);
        caller.Stop();
        Assert.True(r.Status == 200, $"HTTP {r.Status} {r.Body}\n{ensemble.Logs()}");

        // Spans leave each service in batches, ext-proc's stream span only when the stream ends: wait until all are in
        // (or give up and show what arrived).
        (bool ExtProcServed, bool SchedulerLinked, bool PrefixLinked) links = default;
        try
        {
            await Poll.UntilSucceedsAsync(() =>
            {
                links = Links(traceId);
                return Task.FromResult(links.ExtProcServed && links.SchedulerLinked && links.PrefixLinked);
            }, "the trace's spans from ext-proc, scheduler and prefix-index", TimeSpan.FromSeconds(60));
        }
        catch (TimeoutException)
        {
        }

        var spans = ensemble.Telemetry.Spans.Where(s => s.TraceId == traceId).ToList();
        var seen = "spans of the trace:\n" + string.Join('\n', spans.Select(s => $"{s.Service} {s.Name} kind={s.Kind} span={s.SpanId} parent={s.ParentSpanId}"));
        Assert.True(links.ExtProcServed, "no ext-proc server span in the caller's trace; " + seen);
        Assert.True(links.SchedulerLinked, "no scheduler server span is the child of an ext-proc span; " + seen);
        Assert.True(links.PrefixLinked, "no prefix-index server span is the child of a scheduler span; " + seen);
    }

    private (bool ExtProcServed, bool SchedulerLinked, bool PrefixLinked) Links(string traceId)
    {
        var spans = ensemble.Telemetry.Spans.Where(s => s.TraceId == traceId).ToList();
        var extProc = spans.Where(s => s.Service == "ext-proc").Select(s => s.SpanId).ToHashSet(StringComparer.Ordinal);
        var scheduler = spans.Where(s => s.Service == "scheduler").Select(s => s.SpanId).ToHashSet(StringComparer.Ordinal);
        return (
            spans.Any(s => s.Service == "ext-proc" && s.Kind == ReceivedSpan.Server),
            spans.Any(s => s.Service == "scheduler" && s.Kind == ReceivedSpan.Server && extProc.Contains(s.ParentSpanId)),
            spans.Any(s => s.Service == "prefix-index" && s.Kind == ReceivedSpan.Server && scheduler.Contains(s.ParentSpanId)));
    }
}
