using System.Diagnostics.Metrics;
using InferenceMesh.Contracts;

namespace InferenceMesh.Scheduling;

/// <summary>The scheduler's instruments (meter <c>InferenceMesh.Scheduler</c>) and the outcome counts returned by <c>GET /queue</c>.
/// Names follow OpenTelemetry conventions; the Prometheus names in the comments are what <c>/metrics</c> shows (docs/telemetry.md).</summary>
internal sealed class SchedulerMetrics : IDisposable
{
    public const string MeterName = "InferenceMesh.Scheduler";

    /// <summary>Instrument names, in one place.</summary>
    public static class Names
    {
        /// <summary><c>inferencemesh_scheduler_outcomes_total{band,outcome}</c>.</summary>
        public const string Outcomes = "inferencemesh.scheduler.outcomes";

        /// <summary><c>inferencemesh_scheduler_queue_wait_seconds{band,outcome}</c>.</summary>
        public const string QueueWait = "inferencemesh.scheduler.queue.wait";

        /// <summary><c>inferencemesh_scheduler_pick_duration_seconds</c>.</summary>
        public const string PickDuration = "inferencemesh.scheduler.pick.duration";

        /// <summary><c>inferencemesh_scheduler_score{scorer}</c>.</summary>
        public const string Score = "inferencemesh.scheduler.score";

        /// <summary><c>inferencemesh_scheduler_snapshots_total{result}</c>.</summary>
        public const string Snapshots = "inferencemesh.scheduler.snapshots";

        /// <summary><c>inferencemesh_scheduler_queue_length{pool,band}</c>.</summary>
        public const string QueueLength = "inferencemesh.scheduler.queue.length";
    }

    private static readonly string[] BandNames = ["Critical", "Standard", "Sheddable"];
    private static readonly string[] OutcomeNames = Enum.GetNames<ScheduleOutcome>();

    private readonly Meter _meter;
    private readonly Counter<long> _outcomes;
    private readonly Histogram<double> _queueWait;
    private readonly Histogram<double> _pickDuration;
    private readonly Histogram<double> _score;
    private readonly Counter<long> _snapshots;
    private readonly long[] _counts = new long[BandNames.Length * OutcomeNames.Length];

    public SchedulerMetrics(IMeterFactory? factory, Func<IEnumerable<Measurement<int>>> queueLength)
    {
        _meter = factory?.Create(MeterName) ?? new Meter(MeterName);
        _outcomes = _meter.CreateCounter<long>(Names.Outcomes, "{request}", "Schedule outcomes (admissions and rejections) by band and reason.");
        _queueWait = _meter.CreateHistogram<double>(Names.QueueWait, "s", "Time spent queued, by band and outcome.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] });
        _pickDuration = _meter.CreateHistogram<double>(Names.PickDuration, "s", "Filter + score + pick time.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.000005, 0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01] });
        _score = _meter.CreateHistogram<double>(Names.Score, description: "Per-scorer score of the chosen endpoint.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1] });
        _snapshots = _meter.CreateCounter<long>(Names.Snapshots, "{snapshot}", "Metric snapshots by result.");
        _meter.CreateObservableGauge(Names.QueueLength, queueLength, "{request}", "Queued requests by pool and band.");
    }

    public static string BandName(Criticality c) => BandNames[BandIndex(c)];

    public void Outcome(Criticality band, ScheduleOutcome outcome, double queuedMs, bool wasQueued)
    {
        var b = BandIndex(band);
        Interlocked.Increment(ref _counts[b * OutcomeNames.Length + (int)outcome]);
        _outcomes.Add(1, new KeyValuePair<string, object?>("band", BandNames[b]), new KeyValuePair<string, object?>("outcome", OutcomeNames[(int)outcome]));
        // Every outcome records its wait (0 when it never queued), so the quantiles are those of all admissions.
        _queueWait.Record(wasQueued ? queuedMs / 1000 : 0, new KeyValuePair<string, object?>("band", BandNames[b]), new KeyValuePair<string, object?>("outcome", OutcomeNames[(int)outcome]));
    }

    public long Count(Criticality band, ScheduleOutcome outcome) =>
        Interlocked.Read(ref _counts[BandIndex(band) * OutcomeNames.Length + (int)outcome]);

    public void Pick(double micros, in ScoreBreakdown s)
    {
        _pickDuration.Record(micros / 1_000_000);
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
