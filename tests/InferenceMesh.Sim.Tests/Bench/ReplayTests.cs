using System.Globalization;
using System.Text;
using InferenceMesh.Bench.Ceiling;
using InferenceMesh.Bench.Policies;
using InferenceMesh.Bench.Replay;
using InferenceMesh.Bench.Results;
using InferenceMesh.Bench.Workloads;
using InferenceMesh.Contracts;

namespace InferenceMesh.Sim.Tests.Bench;

public sealed class ReplayTests
{
    private static readonly VllmSim.SimProfile Profile = SimFleetFactory.Profile("l20") with { NumGpuBlocks = 4000 };

    /// <summary>A small Mooncake-format trace: conversations that resend and extend their history, in ≈3 s steps.</summary>
    internal static Workload SmallConversationTrace(int sessions = 12, int rounds = 4, int seed = 11)
    {
        var rng = new Random(seed);
        var sb = new StringBuilder();
        var nextId = 1000L;
        var history = new List<long>[sessions];
        for (var s = 0; s < sessions; s++)
        {
            history[s] = [0];
        }

        var t = 0;
        for (var r = 0; r < rounds; r++)
        {
            for (var s = 0; s < sessions; s++)
            {
                history[s].Add(nextId++);
                history[s].Add(nextId++);
                var input = (history[s].Count * 512) - rng.Next(1, 300);
                sb.Append(CultureInfo.InvariantCulture, $"{{\"timestamp\": {t}, \"input_length\": {input}, \"output_length\": {rng.Next(20, 120)}, \"hash_ids\": [{string.Join(", ", history[s])}]}}\n");
                if (s % 4 == 3)
                {
                    t += 3000;
                }
            }
        }

        return MooncakeReader.Read(new StringReader(sb.ToString()), "small.jsonl");
    }

    private static BenchResults Run(Workload w, IReadOnlyList<string> policies, int servers = 3)
    {
        var spec = new FleetSpec("l20", servers);
        return ReplayRunner.Run(w, policies, spec, SimFleetFactory.Engines(Profile), SimFleetFactory.Describe(spec, Profile, 50), new ReplayOptions(3), "test", 1.0);
    }

    [Fact]
    public void Replay_BaselinesAndOracle_CompleteEverything_OracleHitRateWithinCeiling()
    {
        var w = SmallConversationTrace();
        var results = Run(w, ["round-robin", "least-request", "greedy-perfect-info"]);

        var ceiling = ReuseCeiling.Compute(ReuseCeiling.FromWorkload(w), 0, 16);
        Assert.Equal(["round-robin", "least-request", "greedy-perfect-info"], results.Results.Select(r => r.Policy));
        foreach (var r in results.Results)
        {
            Assert.Equal(w.Requests.Count, r.Requests);
            Assert.Equal(w.Requests.Count, r.Completed);
            Assert.Equal(0, r.Errors);
            Assert.True(r.TtftMs.P50 > 0 && r.TtftMs.P99 >= r.TtftMs.P50);
            Assert.True(r.OutputTokensPerS > 0);
            Assert.True(r.RequestPrefixHitRate <= ceiling.TokenReuse + 1e-9, $"{r.Policy} {r.RequestPrefixHitRate} > ceiling {ceiling.TokenReuse}");
            Assert.Equal(w.Requests.Count, r.Servers.Sum(s => s.Requests));
        }

        var greedy = results.Results[2];
        Assert.True(greedy.PrefixHitRate > results.Results[0].PrefixHitRate, "the greedy perfect-information policy follows the cache; round-robin scatters conversations");
        Assert.True(greedy.PrefixHitRate > 0.3, $"greedy-perfect-info hit rate {greedy.PrefixHitRate}");
        Assert.Null(greedy.ByCriticality);
        Assert.NotNull(greedy.Series);
        Assert.Equal(101, greedy.Series!.TtftQuantiles.Count);
        Assert.Equal(3, greedy.Series.KvUsage.Count);
    }

    [Fact]
    public void Replay_EveryPolicySeesIdenticalArrivals()
    {
        var w = SmallConversationTrace();
        var seen = new List<List<(int, double, int)>>();
        for (var k = 0; k < 2; k++)
        {
            var log = new List<(int, double, int)>();
            seen.Add(log);
            PolicyRegistry.Register($"test-recorder-{k}", "test", _ => new RecordingPolicy(log, new RoundRobinLike()));
        }

        Run(w, ["test-recorder-0", "test-recorder-1"]);
        Assert.Equal(w.Requests.Count, seen[0].Count);
        Assert.Equal(seen[0], seen[1]);
        Assert.Equal(w.Requests.Select(r => r.ArrivalMs), seen[0].Select(x => x.Item2));
    }

    [Fact]
    public void Replay_ClosedLoop_NeverExceedsConcurrency()
    {
        var w = Generators.Random(100, 400, 50, 0.2, 40, seed: 4, concurrency: 5);
        var policy = new RecordingPolicy([], new RoundRobinLike());
        PolicyRegistry.Register("test-closed-loop", "test", _ => policy);
        var r = Run(w, ["test-closed-loop"]).Results[0];
        Assert.Equal(40, r.Completed);
        Assert.Equal(5, policy.MaxOutstanding);
    }

    [Fact]
    public void Replay_Sessions_WaitForThePreviousAnswerPlusThinkTime()
    {
        var w = Generators.MultiRoundQa(users: 2, rounds: 3, qps: 1, system: 100, history: 300, answer: 20, seed: 9);
        var policy = new RecordingPolicy([], new RoundRobinLike());
        PolicyRegistry.Register("test-sessions", "test", _ => policy);
        Run(w, ["test-sessions"]);
        foreach (var (index, arrival, _) in policy.Log)
        {
            var req = w.Requests[index];
            if (req.ThinkMs > 0)
            {
                var prev = w.Requests.Last(r => r.Session == req.Session && r.Index < index);
                Assert.True(arrival >= policy.CompletedAt[prev.Index] + req.ThinkMs - 1e-6);
            }
        }
    }

    [Theory]
    [InlineData(Picks.Reject, "429")]
    [InlineData(Picks.Unavailable, "503")]
    public void Replay_RejectingPolicy_CountsErrorsByStatus_PerCriticality(int refusal, string status)
    {
        var w = Generators.Random(0, 200, 10, 0.1, 20, seed: 1, qps: 10, criticalities: [Criticality.Critical, Criticality.Standard]);
        var name = "test-reject-standard-" + status;
        PolicyRegistry.Register(name, "test", _ => new RejectStandard(refusal));
        var r = Run(w, [name]).Results[0];
        Assert.Equal(10, r.Errors);
        Assert.Equal(10, r.ErrorsByStatus[status]);
        Assert.Single(r.ErrorsByStatus);
        Assert.NotNull(r.ByCriticality);
        Assert.Equal(0, r.ByCriticality!["Critical"].Errors);
        Assert.Equal(10, r.ByCriticality["Standard"].Errors);
        Assert.Equal(10, r.ByCriticality["Standard"].Requests);
    }

    [Fact]
    public void Replay_PromptLongerThanMaxModelLen_Is400()
    {
        var w = Generators.Random(0, 40_000, 10, 0, 2, seed: 1, qps: 1);
        var r = Run(w, ["round-robin"]).Results[0];
        Assert.Equal(2, r.ErrorsByStatus["400"]);
    }

    [Fact]
    public void FleetView_MetricsAreScrapedAndStale()
    {
        var w = Generators.Random(0, 2000, 200, 0.1, 30, seed: 2, qps: 50);
        var policy = new RecordingPolicy([], new RoundRobinLike());
        PolicyRegistry.Register("test-view", "test", _ => policy);
        Run(w, ["test-view"]);
        Assert.True(policy.SawRunningOrWaiting, "the picker saw load in the scraped metrics");
        Assert.True(policy.MaxScrapeAgeMs < 51, $"scrape age {policy.MaxScrapeAgeMs}");
    }

    private sealed class RoundRobinLike
    {
        private int next;

        public int Pick(int n) => next++ % n;
    }

    private sealed class RejectStandard(int refusal) : IRoutingPolicy
    {
        public string Name => "reject-standard";

        public int Pick(RoutingRequest request, FleetView fleet) => request.Criticality == Criticality.Standard ? refusal : 0;

        public void OnDispatched(RoutingRequest request, int endpoint, FleetView fleet)
        {
        }

        public void OnCompleted(RoutingRequest request, int endpoint, RequestOutcome outcome)
        {
        }
    }

    private sealed class RecordingPolicy(List<(int, double, int)> log, RoundRobinLike inner) : IRoutingPolicy
    {
        public List<(int Index, double Arrival, int Tokens)> Log { get; } = log;

        public Dictionary<int, double> CompletedAt { get; } = [];

        public int MaxOutstanding { get; private set; }

        public bool SawRunningOrWaiting { get; private set; }

        public double MaxScrapeAgeMs { get; private set; }

        public string Name => "recorder";

        public int Pick(RoutingRequest request, FleetView fleet)
        {
            Log.Add((request.Index, request.ArrivalMs, request.PromptTokens));
            foreach (var m in fleet.Metrics)
            {
                SawRunningOrWaiting |= m.Running + m.Waiting > 0;
                MaxScrapeAgeMs = Math.Max(MaxScrapeAgeMs, fleet.NowMs - m.ScrapedAtUnixMs);
            }

            return inner.Pick(fleet.Count);
        }

        public void OnDispatched(RoutingRequest request, int endpoint, FleetView fleet) =>
            MaxOutstanding = Math.Max(MaxOutstanding, fleet.Outstanding.Sum());

        public void OnCompleted(RoutingRequest request, int endpoint, RequestOutcome outcome) =>
            CompletedAt[request.Index] = request.ArrivalMs + outcome.E2eMs;
    }
}
