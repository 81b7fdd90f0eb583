using InferenceMesh.Contracts;

namespace InferenceMesh.Scheduling;

/// <summary>Where picks are announced (the <c>routing-decisions</c> topic in the distributed mode; the prefix index records from it).</summary>
public interface IRoutingDecisionPublisher
{
    /// <summary>Publishes one decision; implementations should not block the caller for long.</summary>
    ValueTask PublishAsync(RoutingDecision decision, CancellationToken cancellationToken);
}
