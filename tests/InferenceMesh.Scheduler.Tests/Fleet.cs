using InferenceMesh.Contracts;
using InferenceMesh.Scheduling;
using Microsoft.Extensions.Time.Testing;

namespace InferenceMesh.Scheduler.Tests;

/// <summary>Builds schedulers, snapshots and requests for unit tests on virtual time.</summary>
internal sealed class Fleet : IDisposable
{
    public const string Pool = "pool-a";
    private long _sequence;
    private int _requests;

    public Fleet(SchedulerOptions? options = null, IPrefixIndexService? prefix = null, IRoutingDecisionPublisher? publisher = null, string replica = "replica-1")
    {
        Options = options ?? new SchedulerOptions();
        Service = new SchedulingService(Options, Time, new Random(42), replica, prefix, publisher);
    }

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    /// <summary>Virtual now in Unix milliseconds.</summary>
    public long NowMs => Time.GetUtcNow().ToUnixTimeMilliseconds();
    public SchedulerOptions Options { get; }
    public SchedulingService Service { get; }

    public static EndpointMetrics Endpoint(string address, int waiting = 0, double kv = 0.1, int running = 0, long scrapedAtMs = 0,
        IReadOnlyList<string>? runningLoras = null, IReadOnlyList<string>? waitingLoras = null, int maxLoras = 0,
        EndpointHealth health = EndpointHealth.Healthy) =>
        new(address, waiting, running, kv, runningLoras ?? [], waitingLoras ?? [], maxLoras, 16, 1000, scrapedAtMs, health);

    /// <summary>Publishes a fresh snapshot (scraped now) one millisecond after the last dispatch, from collector "c1".</summary>
    public SnapshotResult Snapshot(params EndpointMetrics[] endpoints)
    {
        Time.Advance(TimeSpan.FromMilliseconds(1));
        var now = NowMs;
        var fresh = new EndpointMetrics[endpoints.Length];
        for (var i = 0; i < endpoints.Length; i++)
            fresh[i] = endpoints[i] with { ScrapedAtUnixMs = endpoints[i].ScrapedAtUnixMs == 0 ? now : endpoints[i].ScrapedAtUnixMs };
        return Service.ApplySnapshot(new PoolSnapshot(Pool, "c1", ++_sequence, now, fresh));
    }

    public ScheduleRequest Request(Criticality criticality = Criticality.Standard, string flow = "default-flow", IReadOnlyList<ulong>? hashes = null,
        IReadOnlyList<string>? subset = null, int ttlMs = 0, long bytes = 1000, string model = "m", string? id = null) =>
        new(id ?? $"r{++_requests}", Pool, model, model, criticality, flow, hashes ?? [], bytes, subset ?? [], ttlMs);

    public Task<ScheduleResponse> Schedule(ScheduleRequest request, CancellationToken cancellationToken = default) =>
        Service.ScheduleAsync(request, cancellationToken).AsTask();

    public int Queued(Criticality band)
    {
        foreach (var p in Service.GetQueueStatus().Pools)
        {
            if (p.Pool == Pool)
                return p.Bands[(int)band].Requests;
        }
        return 0;
    }

    public void Dispose() => Service.Dispose();
}
