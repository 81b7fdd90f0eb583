using InferenceMesh.Prometheus;

namespace InferenceMesh.MetricsCollector.Tests;

/// <summary>A materialised sample, for assertions.</summary>
internal sealed record ParsedSample(string Name, IReadOnlyList<KeyValuePair<string, string>> Labels, double Value, long? Timestamp,
    PrometheusMetricType Type, int Line)
{
    public string? Label(string name)
    {
        foreach (var (k, v) in Labels)
        {
            if (k == name)
                return v;
        }
        return null;
    }

    public static List<ParsedSample> ParseAll(string text)
    {
        var visitor = new Collector();
        PrometheusTextParser.Parse(System.Text.Encoding.UTF8.GetBytes(text), ref visitor);
        return visitor.Samples;
    }

    public static PrometheusParseError ParseError(string text)
    {
        var visitor = new Collector();
        Assert.False(PrometheusTextParser.TryParse(System.Text.Encoding.UTF8.GetBytes(text), ref visitor, out var error),
            "the exposition should have been rejected");
        return error;
    }

    internal struct Collector : IPrometheusSampleVisitor
    {
        public Collector()
        {
        }

        public List<ParsedSample> Samples { get; } = [];

        public readonly void OnSample(in PrometheusSample sample)
        {
            var labels = new List<KeyValuePair<string, string>>();
            foreach (var label in sample.Labels)
                labels.Add(new(System.Text.Encoding.UTF8.GetString(label.Name), label.GetValue()));
            Samples.Add(new ParsedSample(sample.GetName(), labels, sample.Value, sample.HasTimestamp ? sample.TimestampMs : null,
                sample.Type, sample.Line));
        }
    }
}
