using InferenceMesh.Contracts;

namespace InferenceMesh.Scheduling;

public sealed partial class SchedulingService
{
    /// <summary>What is left of the request's TTFT objective after <paramref name="queuedMs"/> in the queue; +∞ without one.</summary>
    private double TtftBudgetMs(ScheduleRequest request, double queuedMs)
    {
        var objective = _options.Slo.ObjectiveFor(request.Model, request.TtftSloMs);
        return objective > 0 ? objective - queuedMs : double.PositiveInfinity;
    }

    /// <summary>At arrival: the rejection of a request no candidate is predicted to serve within its objective, when its band is
    /// shed for that (Sheddable always, Standard with <c>Slo:ShedStandard</c>); null to go on. Reads the candidates
    /// <see cref="EndpointPicker.Filter"/> left.</summary>
    private ScheduleResponse? SloRejectionLocked(ScheduleRequest request, PoolRuntime pool, PrefixMatchResponse? match, long nowMs)
    {
        var budget = TtftBudgetMs(request, 0);
        if (!double.IsFinite(budget) || request.Criticality == Criticality.Critical
            || (request.Criticality == Criticality.Standard && !_options.Slo.ShedStandard))
            return null;
        var totalBlocks = match is { TotalBlocks: > 0 } ? match.TotalBlocks : request.BlockHashes?.Count ?? 0;
        if (_picker.AnyMeetsTtft(pool.Endpoints, match?.Matches, totalBlocks, request.PromptBytes, nowMs, budget))
            return null;
        return Reject(ScheduleOutcome.Shed, $"no endpoint of pool '{pool.Name}' is predicted to meet the {budget:F0} ms TTFT objective", 0);
    }
}
