namespace InferenceMesh.Scheduling;

/// <summary>One fairness flow inside a band: FCFS.</summary>
internal sealed class FlowQueue
{
    public FlowQueue(string id)
    {
        Id = id;
        ActiveNode = new LinkedListNode<FlowQueue>(this);
    }

    public string Id { get; }
    public LinkedList<QueuedRequest> Items { get; } = new();

    /// <summary>This flow's place in the band's round-robin rotation (linked while it has items).</summary>
    public LinkedListNode<FlowQueue> ActiveNode { get; }
}
