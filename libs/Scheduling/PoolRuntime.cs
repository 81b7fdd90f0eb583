using InferenceMesh.Contracts;

namespace InferenceMesh.Scheduling;

/// <summary>Everything this replica holds about one pool: the latest snapshot, its own in-flight load, the queue bands.</summary>
internal sealed class PoolRuntime
{
    private readonly Dictionary<string, EndpointState> _byAddress = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _lastSequence = new(StringComparer.Ordinal);

    public PoolRuntime(string name)
    {
        Name = name;
        Bands = [new Band(Criticality.Critical), new Band(Criticality.Standard), new Band(Criticality.Sheddable)];
    }

    public string Name { get; }
    public EndpointState[] Endpoints { get; private set; } = [];

    /// <summary>Addresses of <see cref="Endpoints"/>, built once per snapshot for prefix-match requests.</summary>
    public string[] Addresses { get; private set; } = [];
    public Band[] Bands { get; }
    public long SnapshotPublishedAtMs { get; private set; } = long.MinValue;
    public string? SnapshotCollector { get; private set; }
    public long SnapshotSequence { get; private set; }
    public IReadOnlyDictionary<string, string>? Annotations { get; set; }

    /// <summary>Profile name resolved from annotations and options (cached; reset when either changes).</summary>
    public string ProfileName { get; set; } = string.Empty;
    public SchedulingProfile Profile { get; set; } = null!;
    public bool UseQueueing { get; set; }

    /// <summary>PRECISE_PREFIX_CACHE: prefix matches come from the engines' KV events (<c>/match-precise</c>).</summary>
    public bool PrecisePrefix { get; set; }

    public int QueuedCount => Bands[0].Count + Bands[1].Count + Bands[2].Count;

    /// <summary>True when a request of <paramref name="band"/> or a higher-priority band waits.</summary>
    public bool HasQueuedAtOrAbove(Criticality band)
    {
        for (var b = 0; b <= (int)band; b++)
        {
            if (Bands[b].Count > 0)
                return true;
        }
        return false;
    }

    public SnapshotResult Apply(PoolSnapshot snapshot, Dictionary<string, InFlightEntry> inFlight)
    {
        var collector = snapshot.CollectorId ?? string.Empty;
        if (_lastSequence.TryGetValue(collector, out var last) && snapshot.Sequence <= last)
            return SnapshotResult.Replayed;
        if (snapshot.PublishedAtUnixMs < SnapshotPublishedAtMs)
        {
            _lastSequence[collector] = snapshot.Sequence;
            return SnapshotResult.OutOfOrder;
        }
        _lastSequence[collector] = snapshot.Sequence;
        SnapshotPublishedAtMs = snapshot.PublishedAtUnixMs;
        SnapshotCollector = collector;
        SnapshotSequence = snapshot.Sequence;

        var list = snapshot.Endpoints ?? [];
        var next = new EndpointState[list.Count];
        var addresses = new string[list.Count];
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var n = 0;
        foreach (var m in list)
        {
            if (m is null || string.IsNullOrEmpty(m.Address) || !seen.Add(m.Address))
                continue;
            if (!_byAddress.TryGetValue(m.Address, out var state))
            {
                state = new EndpointState(m.Address);
                _byAddress[m.Address] = state;
            }
            state.Update(m);
            state.SinceSnapshot = 0;
            state.RemoteSinceSnapshot = 0;
            state.InFlight = 0;
            next[n] = state;
            addresses[n] = m.Address;
            n++;
        }
        if (n != next.Length)
        {
            Array.Resize(ref next, n);
            Array.Resize(ref addresses, n);
        }
        foreach (var address in _byAddress.Keys)
        {
            if (!seen.Contains(address))
                _byAddress.Remove(address);
        }
        // Dispatches the scrape could not have seen stay counted; the rest are in the scraped numbers now.
        foreach (var entry in inFlight.Values)
        {
            if (entry.Pool != this || !_byAddress.TryGetValue(entry.Endpoint.Address, out var state) || state != entry.Endpoint)
                continue;
            state.InFlight++;
            if (entry.DispatchedAtMs >= state.ScrapedAtMs)
                state.SinceSnapshot++;
        }
        Endpoints = next;
        Addresses = addresses;
        return SnapshotResult.Applied;
    }
}
