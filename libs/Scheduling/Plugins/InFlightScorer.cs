namespace InferenceMesh.Scheduling;

/// <summary><c>in-flight-scorer</c>: this replica's dispatches since the last scrape, relative over the candidates like the queue scorer.</summary>
[SchedulingPlugin("in-flight-scorer")]
internal sealed class InFlightScorer : RelativeScorer
{
    protected override int Value(EndpointState e) => e.SinceSnapshot;
}
