using System.Globalization;
using System.Text.RegularExpressions;

namespace InferenceMesh.Sim.Tests.Sim;

/// <summary>
/// A strict checker for the Prometheus text format 0.0.4 as vLLM emits it: HELP then TYPE once per family before its
/// samples, valid names, quoted and escaped label values, parseable values, no duplicate series, histograms with
/// cumulative buckets ending in le="+Inf" equal to _count. Returns the samples for further assertions.
/// </summary>
internal static partial class PrometheusTextChecker
{
    public sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

    public static List<Sample> Check(string text)
    {
        Assert.EndsWith("\n", text, StringComparison.Ordinal);
        var samples = new List<Sample>();
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        var helped = new HashSet<string>(StringComparer.Ordinal);
        var series = new HashSet<string>(StringComparer.Ordinal);
        var lines = text[..^1].Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            var where = $"line {i + 1}: '{line}'";
            Assert.False(string.IsNullOrWhiteSpace(line), $"blank {where}");
            if (line.StartsWith("# HELP ", StringComparison.Ordinal))
            {
                var name = line[7..].Split(' ', 2)[0];
                Assert.Matches(MetricName(), name);
                Assert.True(helped.Add(name), $"second HELP for {name}");
                Assert.False(types.ContainsKey(name), $"HELP after TYPE, {where}");
                continue;
            }
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line[7..].Split(' ');
                Assert.Equal(2, parts.Length);
                Assert.Matches(MetricName(), parts[0]);
                Assert.Contains(parts[1], (string[])["counter", "gauge", "histogram", "summary", "untyped"]);
                Assert.True(types.TryAdd(parts[0], parts[1]), $"second TYPE for {parts[0]}");
                if (parts[1] == "counter")
                    Assert.EndsWith("_total", parts[0], StringComparison.Ordinal);
                continue;
            }
            Assert.False(line.StartsWith('#'), $"unknown comment {where}");
            var m = SampleLine().Match(line);
            Assert.True(m.Success, $"malformed sample {where}");
            var sampleName = m.Groups["name"].Value;
            var labels = ParseLabels(m.Groups["labels"].Value, where);
            var value = ParseValue(m.Groups["value"].Value, where);
            var family = FamilyOf(sampleName, types);
            Assert.True(family is not null, $"sample without a TYPE line, {where}");
            var key = sampleName + "{" + string.Join(",", labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => l.Key + "=" + l.Value)) + "}";
            Assert.True(series.Add(key), $"duplicate series {key}");
            samples.Add(new Sample(sampleName, labels, value));
        }
        foreach (var (name, type) in types)
        {
            if (type == "histogram")
                CheckHistogram(name, samples);
        }
        return samples;
    }

    private static void CheckHistogram(string name, List<Sample> samples)
    {
        var buckets = samples.Where(s => s.Name == name + "_bucket").ToList();
        Assert.NotEmpty(buckets);
        var count = samples.Single(s => s.Name == name + "_count").Value;
        Assert.Single(samples, s => s.Name == name + "_sum");
        var previousLe = double.NegativeInfinity;
        var previous = 0.0;
        foreach (var b in buckets)
        {
            var le = ParseValue(b.Labels["le"], name);
            Assert.True(le > previousLe, $"{name} buckets out of order");
            Assert.True(b.Value >= previous, $"{name} buckets not cumulative");
            previousLe = le;
            previous = b.Value;
        }
        Assert.Equal("+Inf", buckets[^1].Labels["le"]);
        Assert.Equal(count, buckets[^1].Value);
    }

    private static string? FamilyOf(string sample, Dictionary<string, string> types)
    {
        if (types.ContainsKey(sample))
            return sample;
        foreach (var suffix in (string[])["_bucket", "_sum", "_count"])
        {
            if (sample.EndsWith(suffix, StringComparison.Ordinal) && types.TryGetValue(sample[..^suffix.Length], out var t) && t == "histogram")
                return sample[..^suffix.Length];
        }
        return null;
    }

    private static Dictionary<string, string> ParseLabels(string body, string where)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        var i = 0;
        while (i < body.Length)
        {
            var eq = body.IndexOf('=', i);
            Assert.True(eq > i, $"label without name, {where}");
            var name = body[i..eq];
            Assert.Matches(LabelName(), name);
            Assert.True(eq + 1 < body.Length && body[eq + 1] == '"', $"unquoted label value, {where}");
            var sb = new System.Text.StringBuilder();
            var j = eq + 2;
            for (; j < body.Length && body[j] != '"'; j++)
            {
                if (body[j] == '\\')
                {
                    j++;
                    Assert.True(j < body.Length && body[j] is '\\' or '"' or 'n', $"bad escape, {where}");
                    sb.Append(body[j] == 'n' ? '\n' : body[j]);
                }
                else
                {
                    Assert.NotEqual('\n', body[j]);
                    sb.Append(body[j]);
                }
            }
            Assert.True(j < body.Length, $"unterminated label value, {where}");
            Assert.True(labels.TryAdd(name, sb.ToString()), $"duplicate label {name}, {where}");
            i = j + 1;
            if (i < body.Length)
            {
                Assert.Equal(',', body[i]);
                i++;
            }
        }
        return labels;
    }

    private static double ParseValue(string v, string where) => v switch
    {
        "+Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        "NaN" => double.NaN,
        _ => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : throw new Xunit.Sdk.XunitException($"bad value '{v}', {where}"),
    };

    [GeneratedRegex("^[a-zA-Z_:][a-zA-Z0-9_:]*$")]
    private static partial Regex MetricName();

    [GeneratedRegex("^[a-zA-Z_][a-zA-Z0-9_]*$")]
    private static partial Regex LabelName();

    [GeneratedRegex("^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(?<labels>.*)\\})? (?<value>\\S+)( -?[0-9]+)?$")]
    private static partial Regex SampleLine();
}
