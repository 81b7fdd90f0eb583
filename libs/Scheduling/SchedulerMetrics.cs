using System.Diagnostics.Metrics;
using InferenceMesh.Contracts;

namespace InferenceMesh.Scheduling;

/// <summary>The scheduler's instruments (meter <c>InferenceMesh.Scheduler</c>) and the outcome counts returned by <c>GET /queue</c>.</summary>
internal sealed class SchedulerMetrics : IDisposable
{
    public const string MeterName = "InferenceMesh.Scheduler";
    private static readonly string[] BandNames = ["Critical", "Standard", "Sheddable"];
    private static readonly string[] OutcomeNames = Enum.GetNames<ScheduleOutcome>();

    private readonly Meter _meter;
    private readonly Counter<long> _outcomes;
    private readonly Histogram<double> _waitMs;
    private readonly Histogram<double> _pickUs;
    private readonly Histogram<double> _score;
    private readonly Counter<long> _snapshots;
    private readonly long[] _counts = new long[BandNames.Length * OutcomeNames.Length];

    public SchedulerMetrics(IMeterFactory? factory, Func<IEnumerable<Measurement<int>>> queueLength)
    {
        _meter = factory?.Create(MeterName) ?? new Meter(MeterName);
        _outcomes = _meter.CreateCounter<long>("inferencemesh_scheduler_outcomes_total", description: "Schedule outcomes (admissions and rejections) by band and reason.");
        _waitMs = _meter.CreateHistogram<double>("inferencemesh_scheduler_queue_wait_ms", "ms", "Time spent queued, by band and outcome.");
        _pickUs = _meter.CreateHistogram<double>("inferencemesh_scheduler_pick_latency_us", "us", "Filter + score + pick time.");
        _score = _meter.CreateHistogram<double>("inferencemesh_scheduler_score", description: "Per-scorer score of the chosen endpoint.");
        _snapshots = _meter.CreateCounter<long>("inferencemesh_scheduler_snapshots_total", description: "Metric snapshots by result.");
        _meter.CreateObservableGauge("inferencemesh_scheduler_queue_length", queueLength, description: "Queued requests by pool and band.");
    }

    public static string BandName(Criticality c) => BandNames[BandIndex(c)];

    public void Outcome(Criticality band, ScheduleOutcome outcome, double queuedMs, bool wasQueued)
    {
        var b = BandIndex(band);
        Interlocked.Increment(ref _counts[b * OutcomeNames.Length + (int)outcome]);
        _outcomes.Add(1, new KeyValuePair<string, object?>("band", BandNames[b]), new KeyValuePair<string, object?>("outcome", OutcomeNames[(int)outcome]));
        if (wasQueued)
            _waitMs.Record(queuedMs, new KeyValuePair<string, object?>("band", BandNames[b]), new KeyValuePair<string, object?>("outcome", OutcomeNames[(int)outcome]));
    }

    public long Count(Criticality band, ScheduleOutcome outcome) =>
        Interlocked.Read(ref _counts[BandIndex(band) * OutcomeNames.Length + (int)outcome]);

    public void Pick(double micros, in ScoreBreakdown s)
    {
        _pickUs.Record(micros);
        if (!_score.Enabled)
            return;
        _score.Record(s.Queue, new KeyValuePair<string, object?>("scorer", "queue"));
        _score.Record(s.Kv, new KeyValuePair<string, object?>("scorer", "kv"));
        _score.Record(s.Prefix, new KeyValuePair<string, object?>("scorer", "prefix"));
        _score.Record(s.Lora, new KeyValuePair<string, object?>("scorer", "lora"));
        _score.Record(s.InFlight, new KeyValuePair<string, object?>("scorer", "inflight"));
    }

    public void Snapshot(SnapshotResult result) =>
        _snapshots.Add(1, new KeyValuePair<string, object?>("result", result.ToString()));

    public void Dispose() => _meter.Dispose();

    private static int BandIndex(Criticality c) => c is >= Criticality.Critical and <= Criticality.Sheddable ? (int)c : (int)Criticality.Standard;
}
