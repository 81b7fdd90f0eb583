using System.Text;
using BenchmarkDotNet.Attributes;
using InferenceMesh.Prefix.Hashing;

namespace InferenceMesh.Benchmarks.Prefix;

/// <summary>Hashing a prompt's block chain (64-character blocks, at most 256) from its UTF-8 bytes, as ext-proc does per
/// request. Budget (ARCHITECTURE.md): parse + hash ≤ 100 µs for 8 KB; zero allocations.</summary>
[MemoryDiagnoser]
public class PrefixHashingBenchmarks
{
    private readonly ulong[] _destination = new ulong[PrefixHasher.DefaultMaxBlocks];
    private byte[] _prompt = [];
    private string _promptText = "";
    private ulong _seed;

    /// <summary>8 KB (a typical RAG/chat prompt) and 220 KB (GIE issue #2928's long prompts).</summary>
    [Params(8 * 1024, 220 * 1024)]
    public int PromptBytes { get; set; }

    /// <summary>ASCII takes the vectorised block cut; mixed text counts UTF-8 scalars.</summary>
    [Params(false, true)]
    public bool NonAscii { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        var sb = new StringBuilder(PromptBytes);
        while (Encoding.UTF8.GetByteCount(sb.ToString()) < PromptBytes)
        {
            for (var i = 0; i < 1024; i++)
                sb.Append(NonAscii && random.Next(10) == 0 ? "é語"[random.Next(2)] : (char)('a' + random.Next(26)));
        }
        _promptText = sb.ToString();
        _prompt = Encoding.UTF8.GetBytes(_promptText);
        _seed = PrefixHasher.ModelSeed("meta-llama/Llama-3.1-8B-Instruct", "sql-lora");
    }

    [Benchmark(Baseline = true, Description = "Compute(utf8, 256 blocks)")]
    public int ComputeUtf8() => PrefixHasher.Compute(_prompt, _seed, _destination);

    [Benchmark(Description = "Compute(string, 256 blocks)")]
    public int ComputeString() => PrefixHasher.Compute(_promptText, _seed, _destination);

    [Benchmark(Description = "ModelSeed(model, lora)")]
    public ulong ModelSeed() => PrefixHasher.ModelSeed("meta-llama/Llama-3.1-8B-Instruct", "sql-lora");

    [Benchmark(Description = "XXH64 whole prompt")]
    public ulong WholePrompt() => System.IO.Hashing.XxHash64.HashToUInt64(_prompt);
}
