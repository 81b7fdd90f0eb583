using InferenceMesh.Contracts;

namespace InferenceMesh.Prometheus;

/// <summary>Reads an engine's exposition into <see cref="EngineMetricsValues"/> (REFERENCE.md §2 metric names).</summary>
public static class EngineMetricsReader
{
    /// <summary>Parses <paramref name="exposition"/> with the names of <paramref name="engine"/>. Fails on malformed text and
    /// when the queue, running or KV metric is absent, since a scheduler must not act on partial numbers.</summary>
    public static bool TryRead(ReadOnlySpan<byte> exposition, ModelServerEngine engine, out EngineMetricsValues values,
        out PrometheusParseError error)
    {
        values = default;
        switch (engine)
        {
            case ModelServerEngine.SGLang:
            {
                var visitor = new SGLangVisitor();
                if (!PrometheusTextParser.TryParse(exposition, ref visitor, out error))
                    return false;
                return visitor.Complete(out values, out error);
            }
            case ModelServerEngine.TrtLlm:
            {
                var visitor = new TrtLlmVisitor();
                if (!PrometheusTextParser.TryParse(exposition, ref visitor, out error))
                    return false;
                return visitor.Complete(out values, out error);
            }
            default:
            {
                var visitor = new VllmVisitor();
                if (!PrometheusTextParser.TryParse(exposition, ref visitor, out error))
                    return false;
                return visitor.Complete(out values, out error);
            }
        }
    }

    /// <summary>The contract record for one healthy scrape.</summary>
    public static EndpointMetrics ToEndpointMetrics(string address, in EngineMetricsValues values, long scrapedAtUnixMs) =>
        new(address, values.Waiting, values.Running, values.KvUsage, SplitAdapters(values.RunningLoras), SplitAdapters(values.WaitingLoras),
            values.MaxLoras, values.BlockSize, values.NumBlocks, scrapedAtUnixMs, EndpointHealth.Healthy);

    /// <summary>Splits vLLM's comma-separated adapter list, dropping blanks.</summary>
    public static IReadOnlyList<string> SplitAdapters(string adapters)
    {
        if (string.IsNullOrWhiteSpace(adapters))
            return [];
        return adapters.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
    }

    internal static int ToCount(double value) =>
        double.IsNaN(value) || value <= 0 ? 0 : value >= int.MaxValue ? int.MaxValue : (int)Math.Round(value);

    internal static int ToCount(long value) => value <= 0 ? 0 : value >= int.MaxValue ? int.MaxValue : (int)value;

    internal static PrometheusParseError Missing(string metric) => new(0, $"required metric {metric} is missing");

    internal static bool IsUsable(double value) => !double.IsNaN(value) && !double.IsInfinity(value);

    internal static double Clamp01(double value) => Math.Clamp(value, 0, 1);
}
