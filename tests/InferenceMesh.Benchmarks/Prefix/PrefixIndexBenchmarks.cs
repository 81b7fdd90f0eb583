using BenchmarkDotNet.Attributes;
using InferenceMesh.Prefix.Index;

namespace InferenceMesh.Benchmarks.Prefix;

/// <summary>The hot path of the index, the three backends side by side: a 256-block chain against 8 candidates that hold
/// 0, 32, …, 224 leading blocks, matched and recorded in one call. Budget: ≤ 0.5 ms per match on redis (one round trip).
/// Latency percentiles and round trips per call: <see cref="PrefixIndexProbe"/>.</summary>
[MemoryDiagnoser]
public class PrefixIndexBenchmarks
{
    private readonly string[] _candidates = Enumerable.Range(0, 8).Select(i => $"10.0.0.{i}:8000").ToArray();
    private PrefixIndexBackends _backends = null!;
    private ulong[] _chain = [];

    [Params("memory", "redis", "dapr")]
    public string Backend { get; set; } = "memory";

    [GlobalSetup]
    public async Task Setup()
    {
        _backends = await PrefixIndexBackends.StartAsync(Backend, new PrefixIndexOptions { DefaultCapacity = 31_250 });
        var random = new Random(7);
        _chain = new ulong[256];
        for (var i = 0; i < _chain.Length; i++)
            _chain[i] = (ulong)random.NextInt64();
        for (var c = 0; c < _candidates.Length; c++)
            await _backends.Index.RecordAsync("bench-model", _candidates[c], _chain.AsMemory(0, c * 32), default);
    }

    [GlobalCleanup]
    public async Task Cleanup() => await _backends.DisposeAsync();

    [Benchmark(Description = "match 256 blocks x 8 candidates")]
    public async Task<int[]> Match() => await _backends.Index.MatchAsync("bench-model", _chain, _candidates, default);

    [Benchmark(Description = "match-and-record 256 blocks x 8 candidates")]
    public async Task<int[]> MatchAndRecord()
    {
        // Record onto the candidate that already holds the whole chain, so the index does not drift between iterations.
        return await _backends.Index.MatchAndRecordAsync("bench-model", _chain, _candidates, _candidates[0], default);
    }
}
