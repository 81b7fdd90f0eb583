namespace InferenceMesh.Scheduling;

/// <summary><c>queue-scorer</c>: scraped waiting requests, relative over the candidates — (max − q)/(max − min), all equal → 1.</summary>
[SchedulingPlugin("queue-scorer")]
internal sealed class QueueScorer : RelativeScorer
{
    protected override int Value(EndpointState e) => e.Waiting;
}
