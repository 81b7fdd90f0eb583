using InferenceMesh.Bench.Workloads;

namespace InferenceMesh.Bench.Replay.Http;

/// <summary>
/// Prompt text for an HTTP run: every token is 4 characters (a space and three letters, like vllm-sim's tokenizer
/// stand-in expects), a pure function of the segment key and offset, so equal prefixes give equal text and therefore
/// equal block hashes in the server's cache and in any text-hashing prefix index (64 characters = one 16-token block).
/// </summary>
internal static class PromptText
{
    public static string Build(IReadOnlyList<PromptSegment> segments)
    {
        var tokens = 0;
        for (var s = 0; s < segments.Count; s++)
        {
            tokens += segments[s].Tokens;
        }

        return string.Create(tokens * 4, segments, static (span, segs) =>
        {
            var at = 0;
            for (var s = 0; s < segs.Count; s++)
            {
                var seg = segs[s];
                for (var i = 0; i < seg.Tokens; i++)
                {
                    var m = PromptBlocks.Mix(seg.Key ^ ((ulong)(uint)i * 0x9E3779B97F4A7C15UL));
                    span[at++] = ' ';
                    span[at++] = (char)('a' + (int)(m % 26));
                    span[at++] = (char)('a' + (int)((m >> 16) % 26));
                    span[at++] = (char)('a' + (int)((m >> 32) % 26));
                }
            }
        });
    }
}
