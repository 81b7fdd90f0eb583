namespace InferenceMesh.VllmSim.Http;

/// <summary>
/// Runs a <see cref="SimFleet"/> in wall time: simulated time = elapsed wall time × k. One loop advances the fleet to
/// "now" and sleeps until the next event; HTTP handlers submit under the same lock. If the loop falls behind, events
/// are still processed at their simulated times (only the wall-clock delivery of tokens lags).
/// </summary>
internal sealed class FleetDriver : IAsyncDisposable
{
    private readonly Lock _lock = new();
    private readonly SemaphoreSlim _wake = new(0, int.MaxValue);
    private readonly CancellationTokenSource _stop = new();
    private readonly TimeProvider _time;
    private readonly long _start;
    private readonly double _startUnixMs;
    private readonly double _scale;
    private Task? _loop;

    public FleetDriver(SimFleet fleet, double timeScale, TimeProvider time)
    {
        Fleet = fleet;
        _scale = timeScale;
        _time = time;
        _start = time.GetTimestamp();
        _startUnixMs = time.GetUtcNow().ToUnixTimeMilliseconds();
    }

    public SimFleet Fleet { get; }

    public double SimNowMs => _time.GetElapsedTime(_start).TotalMilliseconds * _scale;

    public long WallUnixSeconds => _time.GetUtcNow().ToUnixTimeSeconds();

    public double WallUnixSecondsPrecise => _time.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0;

    /// <summary>The wall-clock unix time at which the simulation reached <paramref name="simMs"/>.</summary>
    public double SimToUnixSeconds(double simMs) => (_startUnixMs + (simMs / _scale)) / 1000.0;

    public void Start() => _loop = Task.Run(() => RunAsync(_stop.Token));

    public T Inspect<T>(Func<SimFleet, T> read)
    {
        lock (_lock)
        {
            Fleet.AdvanceTo(SimNowMs);
            return read(Fleet);
        }
    }

    /// <summary>Submits at the current simulated time; returns an error message instead when the server rejects it.</summary>
    public string? Submit(int server, SimRequest request)
    {
        lock (_lock)
        {
            Fleet.AdvanceTo(SimNowMs);
            var s = Fleet.Servers[server];
            if (s.Validate(request) is { } error)
                return error;
            s.Submit(request);
        }
        _wake.Release();
        return null;
    }

    public void Abort(int server, SimRequest request)
    {
        lock (_lock)
            Fleet.Servers[server].Abort(request);
    }

    private async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            double waitMs;
            lock (_lock)
            {
                var now = SimNowMs;
                Fleet.AdvanceTo(now);
                var next = Fleet.NextEventMs;
                waitMs = double.IsPositiveInfinity(next) ? -1 : Math.Max(0, (next - now) / _scale);
            }
            try
            {
                // Timers tick in whole milliseconds; an event due sooner is processed on the next pass.
                var timeout = waitMs < 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromMilliseconds(Math.Max(1, Math.Ceiling(waitMs)));
                await _wake.WaitAsync(timeout, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
            await _loop.ConfigureAwait(false);
        _stop.Dispose();
        _wake.Dispose();
    }
}
