using InferenceMesh.Contracts;
using Microsoft.Extensions.Logging;

namespace InferenceMesh.Scheduling;

public sealed partial class SchedulingService
{
    /// <summary>Requests this replica routed fail-open (on its own in-flight counts, metrics being stale) since start.</summary>
    public long FailOpenDecisions => _failOpen.Decisions;

    /// <summary>True when no snapshot of the pool arrived for <c>FailOpenAfterMs</c>: the saturation gate is off and the
    /// pick is <see cref="FailOpenRouting"/>'s. Logs the transitions. Caller holds the gate.</summary>
    private bool FailingOpenLocked(PoolRuntime pool, long nowMs)
    {
        var blind = FailOpenRouting.IsBlind(pool.Endpoints, nowMs, _options.FailOpenAfterMs);
        switch (_failOpen.Transition(pool.Name, blind))
        {
            case 1:
                LogFailOpenStarted(pool.Name, _options.FailOpenAfterMs);
                break;
            case -1:
                LogFailOpenEnded(pool.Name);
                break;
        }
        return blind;
    }

    /// <summary>The fail-open pick: fewest in-flight of this replica first, no prefix affinity, no saturation gate.</summary>
    private ScheduleResponse DispatchFailOpenLocked(ScheduleRequest request, PoolRuntime pool, long nowMs, double queuedMs)
    {
        var n = _failOpen.Pick(pool.Endpoints, request.Subset, _picked);
        if (n == 0)
            return NoCandidates(request, pool, queuedMs);
        var primary = pool.Endpoints[_picked[0]];
        var fallbacks = new string[n - 1];
        for (var i = 1; i < n; i++)
            fallbacks[i - 1] = pool.Endpoints[_picked[i]].Address;
        RecordDispatchLocked(request.RequestId, pool, primary, nowMs, 0);
        _failOpen.Count();
        return new ScheduleResponse(ScheduleOutcome.Scheduled, primary.Address, fallbacks, 200, null, ReplicaId, queuedMs);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "No metrics snapshot of pool {Pool} for {AfterMs} ms: failing open, load-balancing on this replica's in-flight counts without saturation gate or prefix affinity")]
    private partial void LogFailOpenStarted(string pool, int afterMs);

    [LoggerMessage(Level = LogLevel.Information, Message = "Fresh metrics of pool {Pool} again: normal routing resumed")]
    private partial void LogFailOpenEnded(string pool);
}
