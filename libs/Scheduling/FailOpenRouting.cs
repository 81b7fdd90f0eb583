using System.Diagnostics.Metrics;

namespace InferenceMesh.Scheduling;

/// <summary>Routing without metrics: when no snapshot of a pool has arrived for <c>FailOpenAfterMs</c> (Redis, the fan-out
/// or the collector is down), every endpoint looks stale, and stale means saturated — every request would queue and expire
/// (a fleet-wide 503). Instead the replica load-balances on its own in-flight counts over the endpoints the last snapshot
/// did not mark unhealthy. Not thread-safe: used under the scheduler lock.</summary>
internal sealed class FailOpenRouting
{
    /// <summary><c>inferencemesh_scheduler_fail_open_decisions_total</c>.</summary>
    public const string DecisionsName = "inferencemesh.scheduler.fail_open.decisions";

    /// <summary><c>inferencemesh_scheduler_fail_open_pools</c>: pools this replica routes without metrics now.</summary>
    public const string PoolsName = "inferencemesh.scheduler.fail_open.pools";

    private readonly Random _random;
    private readonly HashSet<string> _open = new(StringComparer.Ordinal);
    private long _total;
    private int _openCount;

    public FailOpenRouting(IMeterFactory? factory, Random random)
    {
        _random = random;
        // The factory hands back the scheduler's meter (same name, disposed with it); without one (benches, unit tests)
        // there is nothing to export to, and a private meter per instance would only leak.
        if (factory?.Create(SchedulerMetrics.MeterName) is not { } meter)
            return;
        // Observable, so the series exists (at 0) before the first outage.
        meter.CreateObservableCounter(DecisionsName, () => Interlocked.Read(ref _total), "{request}", "Requests routed on this replica's in-flight counts because the pool's metrics were stale.");
        meter.CreateObservableGauge(PoolsName, () => Volatile.Read(ref _openCount), "{pool}", "Pools routed without metrics (fail-open) now.");
    }

    /// <summary>Requests routed fail-open since start.</summary>
    public long Decisions => Interlocked.Read(ref _total);

    /// <summary>True when the pool has endpoints but none was scraped within <paramref name="afterMs"/> (0 = never fail open).</summary>
    public static bool IsBlind(EndpointState[] endpoints, long nowMs, int afterMs)
    {
        if (afterMs <= 0 || endpoints.Length == 0)
            return false;
        var newest = long.MinValue;
        for (var i = 0; i < endpoints.Length; i++)
            newest = Math.Max(newest, endpoints[i].ScrapedAtMs);
        return nowMs - newest > afterMs;
    }

    /// <summary>Records whether <paramref name="pool"/> is routed fail-open now.</summary>
    /// <returns>+1 when it just entered fail-open, −1 when it just left, 0 when unchanged.</returns>
    public int Transition(string pool, bool blind)
    {
        var changed = blind ? _open.Add(pool) : _open.Remove(pool);
        if (!changed)
            return 0;
        Volatile.Write(ref _openCount, _open.Count);
        return blind ? 1 : -1;
    }

    public void Count() => Interlocked.Increment(ref _total);

    /// <summary>The usable endpoints (in the subset, if any) with the fewest in-flight dispatches of this replica first;
    /// ties broken at random. Writes endpoint indices to <paramref name="picked"/>.</summary>
    /// <returns>How many were written (0 when none is usable).</returns>
    public int Pick(EndpointState[] endpoints, IReadOnlyList<string>? subset, Span<int> picked)
    {
        var written = 0;
        while (written < picked.Length)
        {
            var best = -1;
            var seen = 0;
            for (var i = 0; i < endpoints.Length; i++)
            {
                var e = endpoints[i];
                if (!Scorers.IsUsable(e) || !InSubset(subset, e.Address) || picked[..written].Contains(i))
                    continue;
                if (best < 0 || e.InFlight < endpoints[best].InFlight)
                {
                    best = i;
                    seen = 1;
                }
                else if (e.InFlight == endpoints[best].InFlight && _random.Next(++seen) == 0)
                {
                    // Reservoir sampling over the ties: uniform without a second buffer.
                    best = i;
                }
            }
            if (best < 0)
                break;
            picked[written++] = best;
        }
        return written;
    }

    private static bool InSubset(IReadOnlyList<string>? subset, string address)
    {
        if (subset is not { Count: > 0 })
            return true;
        for (var i = 0; i < subset.Count; i++)
        {
            if (string.Equals(subset[i], address, StringComparison.Ordinal))
                return true;
        }
        return false;
    }
}
