namespace InferenceMesh.Scheduling;

/// <summary><c>in-flight-scorer</c>: this replica's outstanding dispatches (not completed), relative over the candidates like the queue scorer.</summary>
[SchedulingPlugin("in-flight-scorer")]
internal sealed class InFlightScorer : RelativeScorer
{
    protected override int Value(EndpointState e) => e.InFlight;
}
