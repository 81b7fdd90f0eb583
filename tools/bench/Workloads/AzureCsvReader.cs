using System.Globalization;
using InferenceMesh.Contracts;

namespace InferenceMesh.Bench.Workloads;

/// <summary>
/// Reads the Azure LLM inference trace CSV (<c>TIMESTAMP,ContextTokens,GeneratedTokens</c>; timestamps are datetime
/// strings such as <c>2023-11-16 18:17:03.9799600</c>, or plain seconds). The trace has no prefix information, so
/// every prompt is unique content. Malformed lines are skipped and reported with their line numbers.
/// </summary>
public static class AzureCsvReader
{
    private static readonly string[] DateFormats =
    [
        "yyyy-MM-dd HH:mm:ss.FFFFFFF",
        "yyyy-MM-dd HH:mm:ss",
        "yyyy-MM-ddTHH:mm:ss.FFFFFFF",
        "yyyy-MM-ddTHH:mm:ss.FFFFFFFK",
    ];

    /// <summary>Reads a file.</summary>
    public static Workload Read(string path, int maxRequests = 0)
    {
        using var reader = new StreamReader(path);
        return Read(reader, Path.GetFileName(path), maxRequests);
    }

    /// <summary>Reads from a text reader.</summary>
    public static Workload Read(TextReader reader, string name, int maxRequests = 0)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var rows = new List<(double T, int In, int Out)>();
        var skipped = new List<string>();
        var lineNo = 0;
        string? line;
        double? origin = null;
        while ((line = reader.ReadLine()) is not null)
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            var parts = line.Split(',');
            if (lineNo == 1 && parts.Length > 0 && parts[0].Trim().Equals("TIMESTAMP", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (parts.Length < 3)
            {
                skipped.Add(Skip(lineNo, "expected 3 columns TIMESTAMP,ContextTokens,GeneratedTokens"));
                continue;
            }

            if (!TryTime(parts[0].Trim(), out var seconds))
            {
                skipped.Add(Skip(lineNo, "TIMESTAMP is neither a date-time nor seconds"));
                continue;
            }

            if (!int.TryParse(parts[1].Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var input) || input <= 0)
            {
                skipped.Add(Skip(lineNo, "ContextTokens is not a positive integer"));
                continue;
            }

            if (!int.TryParse(parts[2].Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var output) || output < 0)
            {
                skipped.Add(Skip(lineNo, "GeneratedTokens is not a non-negative integer"));
                continue;
            }

            origin ??= seconds;
            rows.Add(((seconds - origin.Value) * 1000.0, input, Math.Max(1, output)));
            if (maxRequests > 0 && rows.Count >= maxRequests)
            {
                break;
            }
        }

        var ordered = rows.Select((r, i) => (r, i)).OrderBy(x => x.r.T).ThenBy(x => x.i).Select(x => x.r).ToArray();
        var t0 = ordered.Length > 0 ? Math.Min(0, ordered[0].T) : 0;
        var requests = new WorkloadRequest[ordered.Length];
        for (var i = 0; i < ordered.Length; i++)
        {
            var r = ordered[i];
            requests[i] = new WorkloadRequest(
                i, r.T - t0, [new PromptSegment(MooncakeReader.UniqueTag | (uint)i, r.In)], r.Out, string.Empty, Criticality.Standard);
        }

        var desc = string.Create(
            CultureInfo.InvariantCulture,
            $"Azure trace {name}: {requests.Length} requests over {(requests.Length == 0 ? 0 : requests[^1].ArrivalMs / 1000.0):F1} s, no prefix information{(skipped.Count > 0 ? $", {skipped.Count} malformed lines skipped" : string.Empty)}");
        return new Workload(name, desc, requests, ArrivalMode.OpenLoop, 0, skipped);
    }

    private static string Skip(int line, string why) => string.Create(CultureInfo.InvariantCulture, $"line {line}: {why}");

    private static bool TryTime(string s, out double seconds)
    {
        if (DateTime.TryParseExact(s, DateFormats, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var dt))
        {
            seconds = (dt - DateTime.UnixEpoch).TotalSeconds;
            return true;
        }

        return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out seconds) && seconds >= 0;
    }
}
