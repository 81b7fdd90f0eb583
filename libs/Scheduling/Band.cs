using InferenceMesh.Contracts;

namespace InferenceMesh.Scheduling;

/// <summary>One priority band: round-robin over fairness flows, FCFS inside a flow, bounded by requests and bytes.</summary>
internal sealed class Band(Criticality criticality)
{
    private readonly Dictionary<string, FlowQueue> _flows = new(StringComparer.Ordinal);
    private readonly LinkedList<FlowQueue> _rotation = new();

    public Criticality Criticality { get; } = criticality;
    public int Count { get; private set; }
    public long Bytes { get; private set; }
    public int FlowCount => _rotation.Count;

    public bool Fits(long bytes, int maxRequests, long maxBytes) => Count < maxRequests && Bytes + bytes <= maxBytes;

    public void Enqueue(QueuedRequest item)
    {
        var id = string.IsNullOrEmpty(item.Request.FairnessId) ? HeaderNames.DefaultFairnessId : item.Request.FairnessId;
        if (!_flows.TryGetValue(id, out var flow))
        {
            flow = new FlowQueue(id);
            _flows[id] = flow;
        }
        if (flow.Items.Count == 0)
            _rotation.AddLast(flow.ActiveNode);
        flow.Items.AddLast(item.Node);
        item.Flow = flow;
        Count++;
        Bytes += item.Bytes;
    }

    /// <summary>The request round-robin would serve next, or null.</summary>
    public QueuedRequest? Peek() => _rotation.First?.Value.Items.First?.Value;

    /// <summary>Removes the head returned by <see cref="Peek"/> and moves its flow to the back of the rotation.</summary>
    public void PopHead()
    {
        var flow = _rotation.First!.Value;
        var item = flow.Items.First!.Value;
        Remove(item);
        if (flow.Items.Count > 0 && _rotation.Count > 1)
        {
            _rotation.Remove(flow.ActiveNode);
            _rotation.AddLast(flow.ActiveNode);
        }
    }

    /// <summary>Removes a request from anywhere in the band (TTL expiry, cancellation); false when it was not queued.</summary>
    public bool Remove(QueuedRequest item)
    {
        var flow = item.Flow;
        if (flow is null || item.Node.List is null)
            return false;
        flow.Items.Remove(item.Node);
        Count--;
        Bytes -= item.Bytes;
        if (flow.Items.Count == 0)
        {
            _rotation.Remove(flow.ActiveNode);
            _flows.Remove(flow.Id);
        }
        return true;
    }

    /// <summary>Collects every queued request (for TTL sweeps and shutdown).</summary>
    public void CopyTo(List<QueuedRequest> into)
    {
        foreach (var flow in _rotation)
        {
            foreach (var item in flow.Items)
                into.Add(item);
        }
    }
}
