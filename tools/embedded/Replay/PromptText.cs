using InferenceMesh.Bench.Workloads;

namespace InferenceMesh.Embedded.Replay;

/// <summary>Prompt text for a workload request: 4 characters per token (the simulator's tokenizer ratio), each token a pure
/// function of its segment key and offset, so requests that share segments share a text prefix — and therefore a KV-cache
/// prefix on the simulated server and a block-hash prefix in ext-proc.</summary>
internal static class PromptText
{
    public static string For(IReadOnlyList<PromptSegment> segments)
    {
        ArgumentNullException.ThrowIfNull(segments);
        var tokens = 0;
        for (var i = 0; i < segments.Count; i++)
            tokens += segments[i].Tokens;
        return string.Create(tokens * 4, segments, static (span, segs) =>
        {
            var at = 0;
            for (var s = 0; s < segs.Count; s++)
            {
                var seg = segs[s];
                for (var t = 0; t < seg.Tokens; t++)
                {
                    var m = Mix(seg.Key ^ ((ulong)(uint)t * 0x9E3779B97F4A7C15UL));
                    span[at++] = ' ';
                    span[at++] = (char)('a' + (int)(m % 26));
                    span[at++] = (char)('a' + (int)((m >> 16) % 26));
                    span[at++] = (char)('a' + (int)((m >> 32) % 26));
                }
            }
        });
    }

    private static ulong Mix(ulong z)
    {
        // splitmix64 finaliser: well spread, stable across runs and processes.
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
