using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace InferenceMesh.ExtProc;

/// <summary>The reference picker's per-objective metrics under its own Prometheus names (meter
/// <c>InferenceMesh.ExtProc.Reference</c>), beside ours, so dashboards and alerts written for it keep working. Labels
/// follow the reference: <c>model_name</c> (the request's model) and <c>target_model_name</c> (after the rewrite).
/// The pool-level ones (<c>inference_pool_*</c>) are not emitted here: docs/conformance.md says why.</summary>
internal sealed class ReferenceMetrics
{
    public const string MeterName = "InferenceMesh.ExtProc.Reference";

    /// <summary>Instrument names; the Prometheus name is in each comment (docs/telemetry.md).</summary>
    public static class Names
    {
        /// <summary><c>inference_objective_request_total</c>.</summary>
        public const string Requests = "inference_objective_request";

        /// <summary><c>inference_objective_request_error_total{error_code}</c>.</summary>
        public const string Errors = "inference_objective_request_error";

        /// <summary><c>inference_objective_request_duration_seconds</c>: request received → response complete.</summary>
        public const string Duration = "inference_objective_request_duration";

        /// <summary><c>inference_objective_request_sizes</c> (bytes).</summary>
        public const string RequestSizes = "inference_objective_request_sizes";

        /// <summary><c>inference_objective_response_sizes</c> (bytes).</summary>
        public const string ResponseSizes = "inference_objective_response_sizes";

        /// <summary><c>inference_objective_input_tokens</c>.</summary>
        public const string InputTokens = "inference_objective_input_tokens";

        /// <summary><c>inference_objective_output_tokens</c>.</summary>
        public const string OutputTokens = "inference_objective_output_tokens";

        /// <summary><c>inference_objective_running_requests</c>.</summary>
        public const string Running = "inference_objective_running_requests";

        /// <summary><c>inference_objective_normalized_time_per_output_token_seconds</c>.</summary>
        public const string Ntpot = "inference_objective_normalized_time_per_output_token";

        /// <summary><c>inference_extension_scheduler_e2e_duration_seconds</c>: the scheduling decision, queueing included.</summary>
        public const string SchedulerE2e = "inference_extension_scheduler_e2e_duration";
    }

    private static readonly double[] SecondsBuckets = [0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60, 120, 180, 240, 300, 360, 480, 600, 900, 1200, 1800, 2700, 3600];
    private static readonly long[] SizeBuckets = [64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32778, 65536, 131072, 262144, 524288, 1048576, 2097152, 4194304, 8388608, 16777216, 33554432, 67108864, 134217728, 268435456, 536870912, 1073741824];
    private static readonly long[] TokenBuckets = [1, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32778, 65536, 131072, 262144, 524288, 1048576];
    private static readonly double[] NtpotBuckets = [0.001, 0.002, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.125, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1, 1.5, 2, 3, 4.5, 6, 12, 18, 24, 30, 36, 48, 60, 90, 120, 180, 270, 360];
    private static readonly double[] DecisionBuckets = [0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

    private readonly Counter<long> _requests;
    private readonly Counter<long> _errors;
    private readonly Histogram<double> _duration;
    private readonly Histogram<long> _requestSizes;
    private readonly Histogram<long> _responseSizes;
    private readonly Histogram<long> _inputTokens;
    private readonly Histogram<long> _outputTokens;
    private readonly UpDownCounter<long> _running;
    private readonly Histogram<double> _ntpot;
    private readonly Histogram<double> _schedulerE2e;

    public ReferenceMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _requests = meter.CreateCounter<long>(Names.Requests, "{request}", "Requests per model (the reference picker's counter).");
        _errors = meter.CreateCounter<long>(Names.Errors, "{request}", "Requests answered by the picker with an error, per model and error code.");
        _duration = meter.CreateHistogram<double>(Names.Duration, "s", "Request received to response complete.", advice: new() { HistogramBucketBoundaries = SecondsBuckets });
        _requestSizes = meter.CreateHistogram<long>(Names.RequestSizes, "{byte}", "Request body size in bytes.", advice: new() { HistogramBucketBoundaries = SizeBuckets });
        _responseSizes = meter.CreateHistogram<long>(Names.ResponseSizes, "{byte}", "Response body size in bytes.", advice: new() { HistogramBucketBoundaries = SizeBuckets });
        _inputTokens = meter.CreateHistogram<long>(Names.InputTokens, "{token}", "Prompt tokens from the response's usage.", advice: new() { HistogramBucketBoundaries = TokenBuckets });
        _outputTokens = meter.CreateHistogram<long>(Names.OutputTokens, "{token}", "Completion tokens from the response's usage.", advice: new() { HistogramBucketBoundaries = TokenBuckets });
        _running = meter.CreateUpDownCounter<long>(Names.Running, "{request}", "Requests routed and not yet complete, per model.");
        _ntpot = meter.CreateHistogram<double>(Names.Ntpot, "s", "Request duration divided by its output tokens.", advice: new() { HistogramBucketBoundaries = NtpotBuckets });
        _schedulerE2e = meter.CreateHistogram<double>(Names.SchedulerE2e, "s", "The scheduling decision, queueing included.", advice: new() { HistogramBucketBoundaries = DecisionBuckets });
    }

    public void Received(string model, string target, long bodyBytes)
    {
        var tags = Tags(model, target);
        _requests.Add(1, tags);
        _requestSizes.Record(bodyBytes, tags);
    }

    public void Error(string model, string target, string errorCode)
    {
        var tags = Tags(model, target);
        tags.Add("error_code", errorCode);
        _errors.Add(1, tags);
    }

    public void Decision(TimeSpan elapsed) => _schedulerE2e.Record(elapsed.TotalSeconds);

    public void Started(string model, string target) => _running.Add(1, Tags(model, target));

    /// <summary>The response is complete (or the stream ended after routing): duration, sizes, tokens, NTPOT.</summary>
    public void Completed(string model, string target, TimeSpan elapsed, long responseBytes, int promptTokens, int completionTokens)
    {
        var tags = Tags(model, target);
        _running.Add(-1, tags);
        _duration.Record(elapsed.TotalSeconds, tags);
        _responseSizes.Record(responseBytes, tags);
        if (promptTokens > 0)
            _inputTokens.Record(promptTokens, tags);
        if (completionTokens > 0)
        {
            _outputTokens.Record(completionTokens, tags);
            _ntpot.Record(elapsed.TotalSeconds / completionTokens, tags);
        }
    }

    private static TagList Tags(string model, string target) => new() { { "model_name", model }, { "target_model_name", target } };
}
