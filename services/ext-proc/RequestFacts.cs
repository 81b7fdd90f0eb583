using InferenceMesh.Contracts;
using InferenceMesh.Grpc.Envoy.Config.Core.V3;
using InferenceMesh.Grpc.Envoy.Service.ExtProc.V3;
using WellKnownValue = Google.Protobuf.WellKnownTypes.Value;

namespace InferenceMesh.ExtProc;

/// <summary>What the picker reads from Envoy's request headers message: the GIE headers and the subset hint.</summary>
/// <param name="HasContentLength">The request carried <c>content-length</c> (so a re-streamed body must set it again).</param>
/// <param name="ContentLength">Its value when it parses; the body buffer is sized from it.</param>
/// <param name="Subset">The endpoints the proxy allows; null when it sent no hint (all are eligible).</param>
internal sealed record RequestFacts(
    string RequestId,
    bool RequestIdGenerated,
    string? Objective,
    string? ModelRewrite,
    string FairnessId,
    bool HasContentLength,
    long? ContentLength,
    IReadOnlyList<string>? Subset,
    int TtftSloMs = 0)
{
    /// <summary>Reads the headers (values from <c>raw_value</c>) and <c>envoy.lb.subset_hint</c>; generates a request id when
    /// missing. With <paramref name="testHooks"/> the conformance suite's <c>test-epp-endpoint-selection</c> header, when
    /// sent, is the subset (it wins over the metadata, as in the reference picker).</summary>
    public static RequestFacts Read(HttpHeaders headers, Metadata? metadata, bool testHooks = false)
    {
        string? requestId = null, objective = null, rewrite = null, fairness = null, testSelection = null;
        var hasContentLength = false;
        var ttftSloMs = 0;
        long? contentLength = null;
        if (headers.Headers is { } map)
        {
            foreach (var h in map.Headers)
            {
                switch (h.Key)
                {
                    case HeaderNames.RequestId: requestId = NullIfEmpty(h.Text()); break;
                    case HeaderNames.InferenceObjective: objective = NullIfEmpty(h.Text()); break;
                    case HeaderNames.ModelNameRewrite: rewrite = NullIfEmpty(h.Text()); break;
                    case HeaderNames.FairnessId: fairness = NullIfEmpty(h.Text()); break;
                    case ConformanceHooks.EndpointSelectionHeader when testHooks: testSelection = NullIfEmpty(h.Text()); break;
                    // Unparsable is -1: the scheduler answers 400 rather than silently dropping the objective.
                    case HeaderNames.TtftSlo: ttftSloMs = int.TryParse(h.Text(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var slo) ? slo : -1; break;
                    case "content-length":
                        hasContentLength = true;
                        contentLength = long.TryParse(h.Text(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : null;
                        break;
                    default: break;
                }
            }
        }
        return new RequestFacts(
            requestId ?? Guid.NewGuid().ToString(),
            requestId is null,
            objective,
            rewrite,
            fairness ?? HeaderNames.DefaultFairnessId,
            hasContentLength,
            contentLength,
            testSelection is null ? ReadSubset(metadata) : ParseSubset(testSelection),
            ttftSloMs);
    }

    private static List<string> ParseSubset(string csv)
    {
        var list = new List<string>();
        AddEndpoints(list, csv);
        return list;
    }

    private static string? NullIfEmpty(string s) => s.Length == 0 ? null : s;

    /// <summary>A list value or a comma-separated string, as GIE accepts both.</summary>
    private static List<string>? ReadSubset(Metadata? metadata)
    {
        if (metadata is null
            || !metadata.FilterMetadata.TryGetValue(HeaderNames.SubsetHintNamespace, out var ns)
            || !ns.Fields.TryGetValue(HeaderNames.DestinationEndpointSubset, out var value))
            return null;
        var list = new List<string>();
        if (value.KindCase == WellKnownValue.KindOneofCase.ListValue)
        {
            foreach (var v in value.ListValue.Values)
                AddEndpoints(list, v.StringValue);
        }
        else if (value.KindCase == WellKnownValue.KindOneofCase.StringValue)
        {
            AddEndpoints(list, value.StringValue);
        }
        return list;
    }

    private static void AddEndpoints(List<string> list, string csv)
    {
        foreach (var part in csv.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            list.Add(part);
    }
}
