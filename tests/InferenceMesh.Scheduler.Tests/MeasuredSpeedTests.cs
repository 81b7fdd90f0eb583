using InferenceMesh.Contracts;
using InferenceMesh.Scheduling;

namespace InferenceMesh.Scheduler.Tests;

/// <summary>The predicted-TTFT cost model scaled by each endpoint's measured decode speed (streamed completions' time per
/// output token after the first), relative to the pool's mean, and the backlog kept in the endpoint's time.</summary>
public sealed class MeasuredSpeedTests
{
    private static Fleet NewFleet(string profile, bool measuredSpeed = true)
    {
        var options = new SchedulerOptions();
        options.PredictedTtft.MeasuredSpeed = measuredSpeed;
        var fleet = new Fleet(options);
        fleet.Service.ConfigurePool(Fleet.Pool, new Dictionary<string, string> { [PoolAnnotations.RoutingStrategy] = profile });
        return fleet;
    }

    /// <summary>Sends <paramref name="count"/> requests to <paramref name="endpoint"/> and completes each with 101 output tokens
    /// decoded at <paramref name="msPerToken"/> after the first.</summary>
    private static async Task Measure(Fleet fleet, string endpoint, double msPerToken, int count = 4)
    {
        for (var i = 0; i < count; i++)
        {
            var id = $"{endpoint}-{i}";
            var r = await fleet.Schedule(fleet.Request(id: id, subset: [endpoint])).Within();
            Assert.Equal(endpoint, r.Endpoint);
            fleet.Time.Advance(TimeSpan.FromSeconds(10));
            var done = fleet.NowMs;
            Assert.True(fleet.Service.Complete(new RequestCompletion(id, "replica-1", endpoint, 200, 10, 101, done)
            {
                FirstTokenAtUnixMs = done - (long)(100 * msPerToken),
            }));
        }
    }

    /// <summary>fast:1 and slow:1 each measured <paramref name="count"/> times, then a fresh snapshot: slow:1 has the shorter
    /// queue (by counts it is the better endpoint) unless <paramref name="queues"/> is false.</summary>
    private static async Task<Fleet> FastAndSlow(double fastMs, double slowMs, string profile = SchedulerOptions.PredictedTtftProfile,
        bool measuredSpeed = true, int count = EndpointState.MinDecodeSamples, bool queues = true)
    {
        var fleet = NewFleet(profile, measuredSpeed);
        fleet.Snapshot(Fleet.Endpoint("fast:1"), Fleet.Endpoint("slow:1"));
        await Measure(fleet, "fast:1", fastMs, count);
        await Measure(fleet, "slow:1", slowMs, count);
        fleet.Snapshot(Fleet.Endpoint("fast:1", waiting: queues ? 2 : 0), Fleet.Endpoint("slow:1", waiting: queues ? 1 : 0));
        return fleet;
    }

    [Theory]
    [InlineData(SchedulerOptions.PredictedTtftProfile, true, "fast:1")]
    [InlineData(SchedulerOptions.PrefillWorkProfile, true, "fast:1")]
    [InlineData(SchedulerOptions.PredictedTtftProfile, false, "slow:1")]
    public async Task ServerDecodingFourTimesSlower_LosesToAFastOneWithALongerQueue(string profile, bool measuredSpeed, string expected)
    {
        // The slow server's queue is shorter: by counts it is the better endpoint, by time it is not.
        using var fleet = await FastAndSlow(10, 40, profile, measuredSpeed);

        var r = await fleet.Schedule(fleet.Request(bytes: 400)).Within();

        Assert.Equal(expected, r.Endpoint);
    }

    [Fact]
    public async Task Backlog_IsKeptInTheEndpointsTime()
    {
        // The same prompt's prefill, announced with each dispatch and added to the endpoint's backlog, takes the slow
        // server longer: the backlog drains in real time, so it is kept in the server's time (40 vs 10 ms per token:
        // factors 1.6 / 1.25 and 0.4 × 1.25 around the mean).
        using var fleet = await FastAndSlow(10, 40, queues: false);

        await fleet.Schedule(fleet.Request(id: "on-fast", subset: ["fast:1"], bytes: 4000)).Within();
        await fleet.Schedule(fleet.Request(id: "on-slow", subset: ["slow:1"], bytes: 4000)).Within();

        Assert.Equal(1.28 / 0.5, fleet.Service.PredictedPrefillMs("on-slow") / fleet.Service.PredictedPrefillMs("on-fast"), 6);
    }

    [Fact]
    public async Task SpeedsWithinTheTolerance_CountAsEqual()
    {
        // 10 vs 12 ms per token is load noise on identical servers (inside the default 1.25 tolerance): the queue decides.
        using var fleet = await FastAndSlow(10, 12);

        var r = await fleet.Schedule(fleet.Request(bytes: 400)).Within();

        Assert.Equal("slow:1", r.Endpoint);
    }

    [Fact]
    public async Task TooFewMeasurements_SpeedNotUsed()
    {
        using var fleet = await FastAndSlow(10, 40, count: EndpointState.MinDecodeSamples - 1);

        var r = await fleet.Schedule(fleet.Request(bytes: 400)).Within();

        Assert.Equal("slow:1", r.Endpoint);
    }

    [Fact]
    public void OtherReplicasCompletions_MeasureTheSpeedHereToo()
    {
        // Completions fan out to every replica: a replica that dispatched nothing to e1 still learns its speed.
        using var fleet = NewFleet(SchedulerOptions.PredictedTtftProfile);
        fleet.Snapshot(Fleet.Endpoint("e1"));
        for (var i = 0; i < EndpointState.MinDecodeSamples; i++)
        {
            var done = fleet.NowMs;
            Assert.False(fleet.Service.Complete(new RequestCompletion($"x{i}", "replica-2", "e1", 200, 10, 101, done) { FirstTokenAtUnixMs = done - 2_000 }));
        }
        // A failed one does not count, nor one decoding for less than MinDecodeMs (mostly the proxy path's timing jitter).
        Assert.False(fleet.Service.Complete(new RequestCompletion("bad", "replica-2", "e1", 500, 10, 101, 5_000) { FirstTokenAtUnixMs = 1 }));
        var now = fleet.NowMs;
        var shortDecode = (long)fleet.Options.PredictedTtft.MinDecodeMs - 1;
        Assert.False(fleet.Service.Complete(new RequestCompletion("short", "replica-2", "e1", 200, 10, 101, now) { FirstTokenAtUnixMs = now - shortDecode }));

        var e1 = fleet.Service.GetPoolStatus().Single().Endpoints.Single();

        Assert.Equal(20, e1.DecodeMsPerToken);
    }

    [Fact]
    public void DecodeSpeed_FallsFastToAFasterServer_RisesSlowlyWhenItSlows()
    {
        var e = new EndpointState("a:1");
        e.ObserveDecode(4000, 101);
        Assert.Equal(40, e.DecodeMsPerToken, 6);
        // A batch of faster requests: the server is faster than its first, loaded, measurement said.
        for (var i = 0; i < 5; i++)
            e.ObserveDecode(1000, 101);
        Assert.InRange(e.DecodeMsPerToken, 10, 12);
        // One slow request (a long batch) barely moves it; a sustained slowdown (a noisy neighbour) does, over time.
        e.ObserveDecode(4000, 101);
        Assert.InRange(e.DecodeMsPerToken, 10, 13);
        for (var i = 0; i < 200; i++)
            e.ObserveDecode(4000, 101);
        Assert.InRange(e.DecodeMsPerToken, 35, 40);
        // Nothing to learn from a request with one output token or no decode time.
        var before = e.DecodeMsPerToken;
        e.ObserveDecode(500, 1);
        e.ObserveDecode(0, 50);
        Assert.Equal(before, e.DecodeMsPerToken);
    }
}
