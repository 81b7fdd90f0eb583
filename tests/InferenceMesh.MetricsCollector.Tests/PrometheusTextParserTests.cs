using System.Text;
using InferenceMesh.Prometheus;

namespace InferenceMesh.MetricsCollector.Tests;

public sealed class PrometheusTextParserTests
{
    [Fact]
    public void Parse_RealVllmExposition_YieldsEverySampleWithNamesLabelsAndTypes()
    {
        var samples = ParsedSample.ParseAll(Fixtures.VllmV1);

        Assert.Equal(17, samples.Count);
        var waiting = samples.Single(s => s.Name == "vllm:num_requests_waiting");
        Assert.Equal(7.0, waiting.Value);
        Assert.Equal("qwen", waiting.Label("model_name"));
        Assert.Equal(PrometheusMetricType.Gauge, waiting.Type);
        var lora = samples.Where(s => s.Name == "vllm:lora_requests_info").ToList();
        Assert.Equal(3, lora.Count);
        Assert.Equal(1.7382173412345678e+09, lora[1].Value);
        Assert.Equal("travel-helper-v1,sql-lora", lora[1].Label("running_lora_adapters"));
        var inf = samples.Single(s => s.Name == "vllm:time_to_first_token_seconds_bucket" && s.Label("le") == "+Inf");
        Assert.Equal(PrometheusMetricType.Histogram, inf.Type);
        Assert.Equal(42.0, inf.Value);
        Assert.Equal(PrometheusMetricType.Histogram, samples.Single(s => s.Name.EndsWith("_sum", StringComparison.Ordinal)).Type);
        Assert.Equal(PrometheusMetricType.Counter, samples.First(s => s.Name == "python_gc_objects_collected_total").Type);
    }

    [Fact]
    public void Parse_SGLangAndTrtLlmExpositions_Succeed()
    {
        Assert.Equal(10, ParsedSample.ParseAll(Fixtures.SGLang).Count);
        var trt = ParsedSample.ParseAll(Fixtures.TrtLlm);
        Assert.Equal(11, trt.Count);
        Assert.Equal(512, trt.Single(s => s.Label("request_type") == "max").Value);
    }

    [Fact]
    public void Parse_LabelEscapes_AreResolvedOnlyWhenAsked()
    {
        var text = "m{path=\"C:\\\\dir\",quote=\"say \\\"hi\\\"\",multi=\"a\\nb\",utf=\"日本\"} 1\n";
        var s = ParsedSample.ParseAll(text).Single();
        Assert.Equal("C:\\dir", s.Label("path"));
        Assert.Equal("say \"hi\"", s.Label("quote"));
        Assert.Equal("a\nb", s.Label("multi"));
        Assert.Equal("日本", s.Label("utf"));

        var visitor = new RawVisitor();
        PrometheusTextParser.Parse(Encoding.UTF8.GetBytes(text), ref visitor);
        Assert.Equal("say \\\"hi\\\"", visitor.RawQuote);
        Assert.True(visitor.QuoteEquals);
    }

    private ref struct RawVisitor : IPrometheusSampleVisitor
    {
        public string? RawQuote;
        public bool QuoteEquals;

        public void OnSample(in PrometheusSample sample)
        {
            Assert.True(sample.TryGetRawLabel("quote"u8, out var raw));
            RawQuote = Encoding.UTF8.GetString(raw);
            QuoteEquals = sample.LabelEquals("quote"u8, "say \"hi\""u8);
        }
    }

    [Theory]
    [InlineData("NaN", double.NaN)]
    [InlineData("+Inf", double.PositiveInfinity)]
    [InlineData("-Inf", double.NegativeInfinity)]
    [InlineData("inf", double.PositiveInfinity)]
    [InlineData("1.7382173358407154e+09", 1.7382173358407154e+09)]
    [InlineData("-0.5", -0.5)]
    [InlineData("42", 42.0)]
    [InlineData("1E-3", 0.001)]
    public void Parse_SpecialAndScientificValues_AreRead(string token, double expected)
    {
        var s = ParsedSample.ParseAll($"x {token}\n").Single();
        Assert.Equal(expected, s.Value);
    }

    [Fact]
    public void Parse_TimestampsBlankLinesCrLfAndSpacing_AreAccepted()
    {
        var text = "\r\n# a plain comment\r\n\r\nhttp_requests_total{method=\"post\",code=\"200\"} 1027 1395066363000\r\n"
                   + "  metric_without_labels 12.47\n"
                   + "spaced { a = \"1\" , b=\"2\", } 3 -5\n"
                   + "empty_set{} 4\n"
                   + "no_newline_at_end 5";
        var samples = ParsedSample.ParseAll(text);

        Assert.Equal(5, samples.Count);
        Assert.Equal(1395066363000, samples[0].Timestamp);
        Assert.Equal(4, samples[0].Line);
        Assert.Null(samples[1].Timestamp);
        Assert.Equal(-5, samples[2].Timestamp);
        Assert.Equal("2", samples[2].Label("b"));
        Assert.Empty(samples[3].Labels);
        Assert.Equal(5.0, samples[4].Value);
    }

    [Fact]
    public void Parse_SummaryWithQuantiles_IsTyped()
    {
        var text = """
            # TYPE rpc_duration_seconds summary
            rpc_duration_seconds{quantile="0.5"} 4773
            rpc_duration_seconds{quantile="0.99"} 76656
            rpc_duration_seconds_sum 1.7560473e+07
            rpc_duration_seconds_count 2693
            """;
        var samples = ParsedSample.ParseAll(text);
        Assert.All(samples, s => Assert.Equal(PrometheusMetricType.Summary, s.Type));
    }

    [Theory]
    [InlineData("metric{a=\"1\" 1", 1, "expected ','")]
    [InlineData("ok 1\nmetric{a=\"1\"", 2, "unterminated label set")]
    [InlineData("metric{a=\"unterminated} 1", 1, "unterminated value")]
    [InlineData("metric{a=\"bad \\q escape\"} 1", 1, "invalid escape")]
    [InlineData("metric{1a=\"x\"} 1", 1, "invalid label name")]
    [InlineData("metric{a=\"1\",a=\"2\"} 1", 1, "duplicate label name 'a'")]
    [InlineData("metric{__name__=\"x\"} 1", 1, "reserved")]
    [InlineData("metric", 1, "has no value")]
    [InlineData("metric one", 1, "invalid value 'one'")]
    [InlineData("metric 1 notatime", 1, "invalid timestamp")]
    [InlineData("metric 1 2 3", 1, "unexpected text")]
    [InlineData("9metric 1", 1, "expected a metric name")]
    [InlineData("met-ric 1", 1, "invalid character '-'")]
    [InlineData("metric{a=\"1\"}1", 1, "whitespace after the label set")]
    [InlineData("# TYPE metric gauges", 1, "unknown metric type 'gauges'")]
    [InlineData("# TYPE metric", 1, "has no type")]
    [InlineData("# TYPE m gauge\n# TYPE m counter", 2, "second TYPE line")]
    [InlineData("# HELP", 1, "HELP line without a valid metric name")]
    [InlineData("# TYPE h histogram\nh_bucket{x=\"1\"} 3", 2, "needs a numeric 'le' label")]
    [InlineData("# TYPE h histogram\nh_bucket{le=\"abc\"} 3", 2, "needs a numeric 'le' label")]
    [InlineData("# TYPE h histogram\nh 3", 2, "without the _bucket")]
    [InlineData("# TYPE s summary\ns 3", 2, "needs a numeric 'quantile' label")]
    [InlineData("\n\n\nmetric 0x1F", 4, "invalid value")]
    [InlineData("metric 1.2.3", 1, "invalid value")]
    [InlineData("metric\u00e9 1", 1, "invalid character")]
    public void TryParse_MalformedInput_ReportsLineAndReason(string text, int line, string reasonPart)
    {
        var error = ParsedSample.ParseError(text);
        Assert.Equal(line, error.Line);
        Assert.Contains(reasonPart, error.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_MalformedInput_ThrowsFormatExceptionWithLine()
    {
        var visitor = new ParsedSample.Collector();
        var ex = Assert.Throws<PrometheusFormatException>(() =>
            PrometheusTextParser.Parse("good 1\nbad{\n"u8, ref visitor));
        Assert.Equal(2, ex.Error.Line);
        Assert.Contains("line 2", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_RandomGarbageAndMutations_NeverThrow()
    {
        var random = new Random(20261122);
        var seed = Encoding.UTF8.GetBytes(Fixtures.VllmV1 + Fixtures.TrtLlm);
        var alphabet = "{}\"\\=, \t\n#:_aZ09.+-eEInfNa\r\u00ff"u8.ToArray();
        var rejected = 0;
        for (var round = 0; round < 3000; round++)
        {
            byte[] input;
            if (round % 3 == 0)
            {
                input = new byte[random.Next(0, 200)];
                for (var i = 0; i < input.Length; i++)
                    input[i] = alphabet[random.Next(alphabet.Length)];
            }
            else
            {
                input = (byte[])seed.Clone();
                for (var m = 0; m < 1 + random.Next(5); m++)
                    input[random.Next(input.Length)] = round % 3 == 1 ? alphabet[random.Next(alphabet.Length)] : (byte)random.Next(256);
            }
            var visitor = new CountingVisitor();
            if (!PrometheusTextParser.TryParse(input, ref visitor, out var error))
            {
                rejected++;
                Assert.InRange(error.Line, 1, input.Length + 1);
                Assert.False(string.IsNullOrEmpty(error.Reason));
            }
            _ = EngineMetricsReader.TryRead(input, ModelServerEngine.Vllm, out _, out _); // must not throw either
        }
        Assert.True(rejected > 100, $"only {rejected} of 3000 garbage inputs were rejected");
    }

    private struct CountingVisitor : IPrometheusSampleVisitor
    {
        public int Count;

        public void OnSample(in PrometheusSample sample)
        {
            Count++;
            foreach (var label in sample.Labels)
                _ = label.GetValue();
        }
    }

    [Fact]
    public void Parse_LargeExposition_VisitsEverySeries()
    {
        var bytes = Fixtures.LargeVllm(200);
        var visitor = new CountingVisitor();
        PrometheusTextParser.Parse(bytes, ref visitor);
        Assert.True(visitor.Count >= 200, $"{visitor.Count} samples");
    }
}
