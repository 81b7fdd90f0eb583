using InferenceMesh.Contracts;

namespace InferenceMesh.Bench.Policies.Mesh;

/// <summary>The fan-out topic between the scheduler replicas of one run: dispatch and completion events, each visible to
/// the other replicas after the event delay. Events are appended in time order with one delay, so each reader keeps a
/// cursor.</summary>
internal sealed class InFlightFeed(double delayMs)
{
    private readonly List<(double VisibleAtMs, string Origin, RoutingDecision? Dispatch, RequestCompletion? Completion)> _events = [];

    public int Count => _events.Count;

    public void Dispatched(double nowMs, RoutingDecision decision) => _events.Add((nowMs + delayMs, decision.SchedulerReplica, decision, null));

    public void Completed(double nowMs, RequestCompletion completion) => _events.Add((nowMs + delayMs, completion.SchedulerReplica, null, completion));

    /// <summary>Hands the events visible at <paramref name="nowMs"/> that another replica than <paramref name="replica"/>
    /// sent to <paramref name="scheduler"/>, from <paramref name="cursor"/> on.</summary>
    public void Deliver(ref int cursor, double nowMs, string replica, InferenceMesh.Scheduling.SchedulingService scheduler)
    {
        while (cursor < _events.Count && _events[cursor].VisibleAtMs <= nowMs)
        {
            var e = _events[cursor++];
            if (string.Equals(e.Origin, replica, StringComparison.Ordinal))
            {
                continue;
            }

            if (e.Dispatch is not null)
            {
                scheduler.ApplyRemoteDispatch(e.Dispatch);
            }
            else if (e.Completion is not null)
            {
                scheduler.Complete(e.Completion);
            }
        }
    }
}
