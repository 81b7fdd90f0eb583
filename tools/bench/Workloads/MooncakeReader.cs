using System.Globalization;
using System.Text.Json;
using InferenceMesh.Contracts;

namespace InferenceMesh.Bench.Workloads;

/// <summary>
/// Reads the Mooncake FAST'25 trace format: one JSON object per line with <c>timestamp</c> (ms), <c>input_length</c>,
/// <c>output_length</c> and <c>hash_ids</c> (one id per 512-token block; an id stands for the block and all before it).
/// Any file in this format is accepted; malformed lines are skipped and reported with their line numbers.
/// </summary>
public static class MooncakeReader
{
    /// <summary>Tokens covered by one Mooncake hash id.</summary>
    public const int HashBlockTokens = 512;

    /// <summary>Keys of tokens not covered by any hash id are tagged so they never collide with a trace id.</summary>
    internal const ulong UniqueTag = 0x8000_0000_0000_0000UL;

    /// <summary>Reads a file. <paramref name="spread"/> spreads requests sharing a timestamp evenly over the step to the next one.</summary>
    public static Workload Read(string path, bool spread = true, int maxRequests = 0)
    {
        using var reader = new StreamReader(path);
        return Read(reader, Path.GetFileName(path), spread, maxRequests);
    }

    /// <summary>Reads from a text reader (tests, stdin).</summary>
    public static Workload Read(TextReader reader, string name, bool spread = true, int maxRequests = 0)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var rows = new List<Row>();
        var skipped = new List<string>();
        var lineNo = 0;
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            if (TryParse(line, out var row, out var error))
            {
                rows.Add(row);
                if (maxRequests > 0 && rows.Count >= maxRequests)
                {
                    break;
                }
            }
            else
            {
                skipped.Add(string.Create(CultureInfo.InvariantCulture, $"line {lineNo}: {error}"));
            }
        }

        // Stable: a trace out of order is replayed in time order, ties kept in file order.
        var ordered = rows.Select((r, i) => (r, i)).OrderBy(x => x.r.TimestampMs).ThenBy(x => x.i).Select(x => x.r).ToArray();
        var arrivals = Arrivals(ordered, spread);
        var requests = new WorkloadRequest[ordered.Length];
        for (var i = 0; i < ordered.Length; i++)
        {
            var r = ordered[i];
            requests[i] = new WorkloadRequest(i, arrivals[i], Segments(r, i), Math.Max(1, r.Output), string.Empty, Criticality.Standard);
        }

        var desc = string.Create(
            CultureInfo.InvariantCulture,
            $"Mooncake trace {name}: {requests.Length} requests over {(requests.Length == 0 ? 0 : arrivals[^1] / 1000.0):F1} s{(spread ? ", requests spread inside timestamp steps" : string.Empty)}{(skipped.Count > 0 ? $", {skipped.Count} malformed lines skipped" : string.Empty)}");
        return new Workload(name, desc, requests, ArrivalMode.OpenLoop, 0, skipped);
    }

    /// <summary>The raw hash ids of every well-formed line (for the ceiling), in file order.</summary>
    public static IEnumerable<(int InputLength, long[] HashIds)> ReadHashIds(string path, List<string> skipped)
    {
        ArgumentNullException.ThrowIfNull(skipped);
        var lineNo = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            if (TryParse(line, out var row, out var error))
            {
                yield return (row.Input, row.HashIds);
            }
            else
            {
                skipped.Add(string.Create(CultureInfo.InvariantCulture, $"line {lineNo}: {error}"));
            }
        }
    }

    private static double[] Arrivals(Row[] rows, bool spread)
    {
        var arrivals = new double[rows.Length];
        var i = 0;
        var lastStep = 0.0;
        while (i < rows.Length)
        {
            var t = rows[i].TimestampMs;
            var j = i;
            while (j < rows.Length && rows[j].TimestampMs == t)
            {
                j++;
            }

            // The step is the gap to the next distinct timestamp; the last group reuses the previous step.
            var step = j < rows.Length ? rows[j].TimestampMs - t : lastStep;
            var n = j - i;
            for (var k = 0; k < n; k++)
            {
                arrivals[i + k] = spread ? t + (step * k / n) : t;
            }

            if (j < rows.Length)
            {
                lastStep = step;
            }

            i = j;
        }

        return arrivals;
    }

    private static PromptSegment[] Segments(Row r, int index)
    {
        var ids = r.HashIds;
        var covered = Math.Min(ids.Length, (r.Input + HashBlockTokens - 1) / HashBlockTokens);
        var list = new List<PromptSegment>(covered + 1);
        var remaining = r.Input;
        for (var k = 0; k < covered && remaining > 0; k++)
        {
            var len = Math.Min(HashBlockTokens, remaining);
            list.Add(new PromptSegment((ulong)ids[k], len));
            remaining -= len;
        }

        if (remaining > 0)
        {
            list.Add(new PromptSegment(UniqueTag | (uint)index, remaining));
        }

        return [.. list];
    }

    private static bool TryParse(string line, out Row row, out string error)
    {
        row = default;
        try
        {
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                error = "not a JSON object";
                return false;
            }

            if (!root.TryGetProperty("timestamp", out var ts) || ts.ValueKind != JsonValueKind.Number || !ts.TryGetDouble(out var t) || t < 0)
            {
                error = "missing or invalid \"timestamp\" (ms, >= 0)";
                return false;
            }

            if (!root.TryGetProperty("input_length", out var il) || !il.TryGetInt32(out var input) || input <= 0)
            {
                error = "missing or invalid \"input_length\" (tokens, > 0)";
                return false;
            }

            if (!root.TryGetProperty("output_length", out var ol) || !ol.TryGetInt32(out var output) || output < 0)
            {
                error = "missing or invalid \"output_length\" (tokens, >= 0)";
                return false;
            }

            long[] ids = [];
            if (root.TryGetProperty("hash_ids", out var h))
            {
                if (h.ValueKind != JsonValueKind.Array)
                {
                    error = "\"hash_ids\" is not an array";
                    return false;
                }

                ids = new long[h.GetArrayLength()];
                var k = 0;
                foreach (var e in h.EnumerateArray())
                {
                    if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt64(out var id) || id < 0)
                    {
                        error = "\"hash_ids\" holds a value that is not a non-negative integer";
                        return false;
                    }

                    ids[k++] = id;
                }
            }

            row = new Row(t, input, output, ids);
            error = string.Empty;
            return true;
        }
        catch (JsonException e)
        {
            error = "invalid JSON: " + e.Message;
            return false;
        }
    }

    private readonly record struct Row(double TimestampMs, int Input, int Output, long[] HashIds);
}
