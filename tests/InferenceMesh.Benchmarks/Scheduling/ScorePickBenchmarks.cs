using BenchmarkDotNet.Attributes;
using InferenceMesh.Contracts;
using InferenceMesh.Scheduling;

namespace InferenceMesh.Benchmarks.Scheduling;

/// <summary>Filter + score + pick over 100 endpoints, per profile. Budget: ≤ 50 µs and 0 B allocated per pick.</summary>
[MemoryDiagnoser]
public class ScorePickBenchmarks
{
    private const int Endpoints = 100;
    private readonly int[] _picked = new int[3];
    private EndpointState[] _endpoints = [];
    private Dictionary<string, int> _matches = [];
    private EndpointPicker _picker = null!;
    private SchedulingProfile _profile = null!;
    private long _now;

    [Params("DEFAULT", "PREFIX_CACHE", "PREDICTED_TTFT", "PREFILL_WORK")]
    public string Profile { get; set; } = "DEFAULT";

    [GlobalSetup]
    public void Setup()
    {
        var options = new SchedulerOptions();
        _profile = ProfileConfig.Load(options)[Profile];
        _picker = new EndpointPicker(options, new Random(1));
        var random = new Random(7);
        _now = 1_000_000;
        _endpoints = new EndpointState[Endpoints];
        _matches = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < Endpoints; i++)
        {
            var address = $"10.0.{i / 250}.{i % 250}:8000";
            var e = new EndpointState(address);
            e.Update(new EndpointMetrics(address, random.Next(0, 8), random.Next(0, 64), random.NextDouble(), ["a", "b"], [], 4, 16, 10_000, _now, EndpointHealth.Healthy));
            e.SinceSnapshot = random.Next(0, 3);
            _endpoints[i] = e;
            if (i % 5 == 0)
                _matches[address] = random.Next(1, 64);
        }
    }

    [Benchmark]
    public int FilterScorePick()
    {
        _picker.Filter(_endpoints, null, _now);
        return _picker.Pick(_endpoints, _profile, _matches, 64, "a", 16_000, _now, _picked, out _);
    }

    [Benchmark]
    public bool SaturationCheck()
    {
        _picker.Filter(_endpoints, null, _now);
        return _picker.AllSaturated(_endpoints, _now);
    }
}
