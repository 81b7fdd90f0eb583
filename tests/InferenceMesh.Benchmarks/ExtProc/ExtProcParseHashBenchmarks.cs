using BenchmarkDotNet.Attributes;
using InferenceMesh.ExtProc;
using InferenceMesh.Prefix.Hashing;
using Microsoft.Extensions.Options;

namespace InferenceMesh.Benchmarks.ExtProc;

/// <summary>The picker's own CPU work per request without transport: parse the OpenAI body, build the canonical
/// prompt, hash its block chain (budget: ≤ 100 µs for 8 KB).</summary>
[MemoryDiagnoser]
public class ExtProcParseHashBenchmarks
{
    private byte[] _body = [];
    private PrefixPromptHasher _hasher = null!;

    [Params(8 * 1024, 220 * 1024)]
    public int PromptBytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _body = ExtProcDecisionBenchmarks.Prompt(PromptBytes);
        _hasher = new PrefixPromptHasher(Options.Create(new PrefixHashOptions()));
    }

    [Benchmark]
    public int ParseAndHash()
    {
        using var scratch = new PooledBuffer();
        OpenAiRequest.TryParse(_body, scratch, _hasher.MaxPromptBytes, 256, out var parsed);
        return _hasher.Hash("qwen", PromptText.Get(_body, parsed, scratch)).Length;
    }
}
