using System.Collections.Concurrent;
using InferenceMesh.Contracts;
using InferenceMesh.Scheduling;

namespace InferenceMesh.Scheduler.Tests;

internal sealed class RecordingPublisher : IRoutingDecisionPublisher
{
    public ConcurrentQueue<RoutingDecision> Decisions { get; } = new();

    public ValueTask PublishAsync(RoutingDecision decision, CancellationToken cancellationToken)
    {
        Decisions.Enqueue(decision);
        return ValueTask.CompletedTask;
    }
}
