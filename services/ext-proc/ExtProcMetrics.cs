using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace InferenceMesh.ExtProc;

/// <summary>The picker's own instruments (meter <c>InferenceMesh.ExtProc</c>). Names follow OpenTelemetry conventions; the
/// Prometheus names in the comments are what <c>/metrics</c> shows (docs/telemetry.md).</summary>
internal sealed class ExtProcMetrics
{
    public const string MeterName = "InferenceMesh.ExtProc";

    /// <summary>Instrument names, in one place.</summary>
    public static class Names
    {
        /// <summary><c>inferencemesh_extproc_requests_total{model,criticality,outcome}</c>.</summary>
        public const string Requests = "inferencemesh.extproc.requests";

        /// <summary><c>inferencemesh_extproc_pick_duration_seconds</c>.</summary>
        public const string PickDuration = "inferencemesh.extproc.pick.duration";

        /// <summary><c>inferencemesh_extproc_request_body_bytes</c>.</summary>
        public const string RequestBody = "inferencemesh.extproc.request.body";

        /// <summary><c>inferencemesh_extproc_response_body_bytes_total</c>.</summary>
        public const string ResponseBody = "inferencemesh.extproc.response.body";

        /// <summary><c>inferencemesh_extproc_active_streams</c>.</summary>
        public const string ActiveStreams = "inferencemesh.extproc.active_streams";
    }

    private readonly Counter<long> _requests;
    private readonly Histogram<double> _pickDuration;
    private readonly Histogram<long> _requestBodyBytes;
    private readonly Counter<long> _responseBodyBytes;
    private readonly UpDownCounter<long> _activeStreams;

    public ExtProcMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _requests = meter.CreateCounter<long>(Names.Requests, "{request}", "Requests by model, criticality and outcome.");
        _pickDuration = meter.CreateHistogram<double>(Names.PickDuration, "s",
            "From the end of the request body to the routing headers response.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });
        _requestBodyBytes = meter.CreateHistogram<long>(Names.RequestBody, "By", "Request body size.",
            advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = [256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216] });
        _responseBodyBytes = meter.CreateCounter<long>(Names.ResponseBody, "By", "Response body bytes streamed back.");
        _activeStreams = meter.CreateUpDownCounter<long>(Names.ActiveStreams, "{stream}", "Open ext_proc streams.");
    }

    /// <param name="model">A configured model name, or null before the model is resolved (counted as <c>_other</c>):
    /// never the client's string, so the label's values stay a bounded set.</param>
    public void Request(string? model, string criticality, string outcome) =>
        _requests.Add(1, new TagList { { "model", model ?? ModelResolver.OtherModel }, { "criticality", criticality }, { "outcome", outcome } });

    public void PickerLatency(TimeSpan elapsed) => _pickDuration.Record(elapsed.TotalSeconds);

    public void RequestBody(long bytes) => _requestBodyBytes.Record(bytes);

    public void ResponseBody(long bytes) => _responseBodyBytes.Add(bytes);

    public void StreamOpened() => _activeStreams.Add(1);

    public void StreamClosed() => _activeStreams.Add(-1);
}
