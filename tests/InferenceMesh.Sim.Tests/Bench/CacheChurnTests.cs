using InferenceMesh.Bench.Cli;
using InferenceMesh.Bench.Policies;
using InferenceMesh.Bench.Replay;
using InferenceMesh.Bench.Workloads;
using InferenceMesh.Contracts;

namespace InferenceMesh.Sim.Tests.Bench;

/// <summary>The eviction-heavy bench: the generated chat workload, scheduled prefix-cache losses and the CLI options.</summary>
public sealed class CacheChurnTests
{
    [Fact]
    public void EvictionChat_turns_resend_the_whole_chat_in_order_and_sessions_start_over_time()
    {
        var w = EvictionChat.Create(seed: 3, requests: 160);
        Assert.Equal(ArrivalMode.OpenLoop, w.Mode);
        var last = new Dictionary<int, WorkloadRequest>();
        var starts = new List<double>();
        foreach (var r in w.Requests)
        {
            if (last.TryGetValue(r.Session, out var previous))
            {
                // The previous prompt, its answer and a new question.
                Assert.Equal(previous.Segments, r.Segments.Take(previous.Segments.Count));
                Assert.Equal(previous.Segments.Count + 2, r.Segments.Count);
                Assert.True(r.ThinkMs > 0);
            }
            else
            {
                starts.Add(r.ArrivalMs);
            }
            last[r.Session] = r;
        }
        Assert.Equal(20, starts.Count);
        Assert.Equal(starts.Order(), starts);
        Assert.True(starts[^1] > starts[0]);
        Assert.Equal(w.Requests.Select(r => r.InputTokens), EvictionChat.Create(seed: 3, requests: 160).Requests.Select(r => r.InputTokens));
    }

    [Fact]
    public void Scheduled_resets_clear_each_server_in_turn_at_their_time_and_stop_after_the_last_arrival()
    {
        var engine = SimFleetEngine.Create(new FleetSpec("l20", 2), SimFleetFactory.Profile("l20"));
        engine.ScheduleCacheResets(new CacheResetSchedule(EveryMs: 10_000, UntilMs: 25_000));
        var prompt = new RoutingRequest(0, "r0", string.Empty, Criticality.Standard, [1, 2, 3, 4, 5, 6, 7, 8], 130, 2, 0);
        var done = 0;
        engine.Submit(0, new EngineRequest(0, prompt, _ => done++));
        engine.Submit(1, new EngineRequest(1, prompt with { RequestId = "r1" }, _ => done++));
        while (done < 2)
            engine.RunNextEvent();
        Assert.Equal(128, engine.Oracle.CachedTokens(0, prompt));

        // Idle fleet: the next event is the first reset, which clears server 0 only.
        Assert.Equal(10_000, engine.NextEventMs);
        engine.RunNextEvent();
        Assert.Equal(0, engine.Oracle.CachedTokens(0, prompt));
        Assert.Equal(128, engine.Oracle.CachedTokens(1, prompt));
        engine.AdvanceTo(20_000.5);
        Assert.Equal(0, engine.Oracle.CachedTokens(1, prompt));
        Assert.Equal(2, engine.CacheResets);
        Assert.True(double.IsPositiveInfinity(engine.NextEventMs), "no reset after UntilMs");
    }

    [Theory]
    [InlineData("--cache-reset-every", "-1")]
    [InlineData("--approx-capacity", "-5")]
    [InlineData("--capacity-feedback-steps", "1")]
    [InlineData("--capacity-feedback-steps", "1,-0.5")]
    [InlineData("--capacity-feedback-steps", "one,half")]
    [InlineData("--capacity-feedback-steps", "101,0.5")]
    [InlineData("--placement-retention", "-1")]
    [InlineData("--placement-retention", "1001")]
    public void Bad_churn_options_exit_with_a_usage_error(string option, string value) =>
        Assert.Equal(2, BenchCli.Run(["replay", "--workload", EvictionChat.Name, "--requests", "16", "--servers", "2", "--policies", "random", option, value]));

    [Fact]
    public void Resets_need_an_open_loop_workload() =>
        Assert.Equal(2, BenchCli.Run(["replay", "--workload", "shared-prefix", "--requests", "10", "--servers", "2", "--policies", "random", "--cache-reset-every", "5"]));
}
