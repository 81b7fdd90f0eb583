using InferenceMesh.Bench.Policies;
using InferenceMesh.Bench.Results;

namespace InferenceMesh.Bench.Replay;

/// <summary>Builds a run's <see cref="GoodputResult"/>: prefill work done, evictions, how far prefix groups spread, 429s.</summary>
internal static class GoodputStats
{
    private const int GroupBlocks = GoodputResult.GroupTokens / 16;

    public static GoodputResult From(RunRecord rec, IReadOnlyList<RoutingRequest?> routing, IReadOnlyList<ServerCounters> counters, Func<int, long> evictions)
    {
        long computed = 0, evicted = 0;
        for (var s = 0; s < counters.Count; s++)
        {
            computed += counters[s].PrefixQueriesTokens - counters[s].PrefixHitsTokens;
            evicted += evictions(s);
        }

        long output = 0;
        var rejected = 0;
        var servers = counters.Count;
        var perGroup = new Dictionary<ulong, int[]>();
        for (var i = 0; i < rec.Status.Length; i++)
        {
            if (rec.Status[i] == 200)
                output += rec.OutputTokens[i];
            else if (rec.Status[i] == 429)
                rejected++;
            if (rec.Server[i] < 0 || routing[i] is not { BlockHashes.Count: > 0 } r)
                continue;
            // The chained hash of a block names the whole prefix up to it.
            var key = r.BlockHashes[Math.Min(r.BlockHashes.Count, GroupBlocks) - 1];
            if (!perGroup.TryGetValue(key, out var counts))
                perGroup[key] = counts = new int[servers];
            counts[rec.Server[i]]++;
        }

        int groups = 0, off = 0, total = 0;
        double distinct = 0;
        foreach (var counts in perGroup.Values)
        {
            int n = 0, max = 0, used = 0;
            foreach (var c in counts)
            {
                n += c;
                max = Math.Max(max, c);
                used += c > 0 ? 1 : 0;
            }

            if (n < 2)
                continue;
            groups++;
            distinct += used;
            off += n - max;
            total += n;
        }

        return new GoodputResult(
            computed,
            output == 0 ? 0 : Math.Round((double)computed / output, 3),
            evicted,
            groups,
            groups == 0 ? 0 : Math.Round(distinct / groups, 3),
            total == 0 ? 0 : Math.Round((double)off / total, 4),
            rejected);
    }
}
