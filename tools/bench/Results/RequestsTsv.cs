using System.Globalization;
using System.Text;
using InferenceMesh.Bench.Replay;

namespace InferenceMesh.Bench.Results;

/// <summary><c>bench replay --requests-out FILE</c>: one tab-separated row per request and policy — when it arrived, was
/// dispatched (left the picker's queue), got its first token and finished, where it went, what it asked and what it was
/// served — for the per-request analyses the summary table hides (which requests make a p90, where they waited). Times are
/// ms from the replay's start (virtual mode: simulated); a time that never came (a request refused before dispatch) is
/// empty.</summary>
internal static class RequestsTsv
{
    public const string Header =
        "policy\trequest\tsession\tcriticality\tmodel\tprompt_tokens\tcached_tokens\toutput_tokens\tserver\tstatus\tarrival_ms\tdispatched_ms\tfirst_token_ms\tfinished_ms";

    /// <summary>Creates (or empties) <paramref name="path"/> with the header line.</summary>
    public static void Start(string path) => File.WriteAllText(path, Header + "\n");

    /// <summary>Appends one policy's rows; writes the header first when the file is new or empty.</summary>
    public static void Append(string path, string policy, RunRecord rec)
    {
        var sb = new StringBuilder();
        if (!File.Exists(path) || new FileInfo(path).Length == 0)
            sb.Append(Header).Append('\n');
        var requests = rec.Workload.Requests;
        for (var i = 0; i < requests.Count; i++)
        {
            var r = requests[i];
            sb.Append(policy).Append('\t')
                .Append(i.ToString(CultureInfo.InvariantCulture)).Append('\t')
                .Append(r.Session.ToString(CultureInfo.InvariantCulture)).Append('\t')
                .Append(r.Criticality.ToString()).Append('\t')
                .Append(r.Model).Append('\t')
                .Append(r.InputTokens.ToString(CultureInfo.InvariantCulture)).Append('\t')
                .Append(rec.CachedTokens[i].ToString(CultureInfo.InvariantCulture)).Append('\t')
                .Append(rec.OutputTokens[i].ToString(CultureInfo.InvariantCulture)).Append('\t')
                .Append(rec.Server[i].ToString(CultureInfo.InvariantCulture)).Append('\t')
                .Append(rec.Status[i].ToString(CultureInfo.InvariantCulture)).Append('\t')
                .Append(Ms(rec.Arrival[i])).Append('\t')
                .Append(Ms(rec.Dispatched[i])).Append('\t')
                .Append(Ms(rec.FirstToken[i])).Append('\t')
                .Append(Ms(rec.Finished[i])).Append('\n');
        }
        File.AppendAllText(path, sb.ToString());
    }

    private static string Ms(double ms) => double.IsFinite(ms) ? ms.ToString("0.###", CultureInfo.InvariantCulture) : string.Empty;
}
