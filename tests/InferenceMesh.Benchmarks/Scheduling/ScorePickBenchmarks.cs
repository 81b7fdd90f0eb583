using BenchmarkDotNet.Attributes;
using InferenceMesh.Contracts;
using InferenceMesh.Scheduling;

namespace InferenceMesh.Benchmarks.Scheduling;

/// <summary>Filter + score + pick over 100 endpoints with measured decode speeds, per profile, on a fleet with some servers idle
/// and on one where every server has a queue (the pressure path of PREFILL_WORK: recent placements credited, the filter
/// acting). Budget: ≤ 50 µs and 0 B allocated per pick.</summary>
[MemoryDiagnoser]
public class ScorePickBenchmarks
{
    private const int Endpoints = 100;
    private readonly int[] _picked = new int[3];
    private EndpointState[] _endpoints = [];
    private EndpointState[] _queued = [];
    private RecentPlacements? _placements;
    private ulong[] _hashes = [];
    private Dictionary<string, int> _matches = [];
    private EndpointPicker _picker = null!;
    private SchedulingProfile _profile = null!;
    private long _now;

    [Params("DEFAULT", "PREFIX_CACHE", "PREDICTED_TTFT", "PREFILL_WORK")]
    public string Profile { get; set; } = "DEFAULT";

    /// <summary>The cost model's measured-speed scaling on (the default) or off, over the same measured fleet.</summary>
    [Params(true, false)]
    public bool MeasuredSpeed { get; set; } = true;

    [GlobalSetup]
    public void Setup()
    {
        var options = new SchedulerOptions();
        options.PredictedTtft.MeasuredSpeed = MeasuredSpeed;
        _profile = ProfileConfig.Load(options)[Profile];
        _picker = new EndpointPicker(options, new Random(1));
        var random = new Random(7);
        _now = 1_000_000;
        _endpoints = new EndpointState[Endpoints];
        _queued = new EndpointState[Endpoints];
        _matches = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < Endpoints; i++)
        {
            var address = $"10.0.{i / 250}.{i % 250}:8000";
            var waiting = random.Next(0, 8);
            var running = random.Next(0, 64);
            var kv = random.NextDouble();
            var e = new EndpointState(address);
            e.Update(new EndpointMetrics(address, waiting, running, kv, ["a", "b"], [], 4, 16, 10_000, _now, EndpointHealth.Healthy));
            e.SinceSnapshot = random.Next(0, 3);
            _endpoints[i] = e;
            var q = new EndpointState(address);
            q.Update(new EndpointMetrics(address, 1 + waiting, running, kv, ["a", "b"], [], 4, 16, 10_000, _now, EndpointHealth.Healthy));
            _queued[i] = q;
            // A mixed fleet's measured decode speeds (half A10-, a quarter L20-, a quarter H100-like): the cost model's speed path is taken.
            var msPerToken = i % 4 < 2 ? 30.0 : i % 4 == 2 ? 21.0 : 6.3;
            for (var k = 0; k < EndpointState.MinDecodeSamples; k++)
            {
                e.ObserveDecode(100 * msPerToken, 101);
                q.ObserveDecode(100 * msPerToken, 101);
            }
            if (i % 5 == 0)
                _matches[address] = random.Next(1, 64);
        }
        _hashes = new ulong[64];
        for (var b = 0; b < _hashes.Length; b++)
            _hashes[b] = (ulong)random.NextInt64();
        if (_profile.PlacementAware)
        {
            _placements = new RecentPlacements(options.PredictedTtft.PrefixBlockTokens, options.PlacementRetention);
            _placements.Record(_hashes, _hashes.Length, _queued[42], uncachedBlocks: 0);
        }
    }

    [Benchmark]
    public int FilterScorePick()
    {
        _picker.Filter(_endpoints, null, _now);
        return _picker.Pick(_endpoints, _profile, _matches, 64, "a", 16_000, _now, _picked, out _);
    }

    [Benchmark]
    public int FilterScorePickEveryServerQueued()
    {
        _picker.Filter(_queued, null, _now);
        return _picker.Pick(_queued, _profile, _matches, 64, "a", 16_000, _now, _picked, out _, placements: _placements, hashes: _hashes);
    }

    [Benchmark]
    public bool SaturationCheck()
    {
        _picker.Filter(_endpoints, null, _now);
        return _picker.AllSaturated(_endpoints, _now);
    }
}
