namespace InferenceMesh.Bench.Policies;

/// <summary>Which picker replica a policy instance is, and the state the replicas of one run share. A replay with
/// <c>--replicas N</c> creates one policy instance per replica; each gets its own <see cref="ReplicaContext"/> over the
/// same <see cref="Shared{T}"/> objects.</summary>
public sealed class ReplicaContext
{
    private readonly Dictionary<string, object> shared;

    internal ReplicaContext(int index, int count, bool sharedPrefixState, double indexDelayMs, bool shareInFlight, double eventDelayMs, Dictionary<string, object> shared)
    {
        Index = index;
        Count = count;
        SharedPrefixState = sharedPrefixState;
        IndexDelayMs = indexDelayMs;
        ShareInFlight = shareInFlight;
        EventDelayMs = eventDelayMs;
        this.shared = shared;
    }

    /// <summary>This replica, 0-based.</summary>
    public int Index { get; }

    /// <summary>Replicas in the run (including one that joins later).</summary>
    public int Count { get; }

    /// <summary>One prefix index for every replica (true) or one per replica (false).</summary>
    public bool SharedPrefixState { get; }

    /// <summary>Shared index: how long a record takes to become visible, simulated ms.</summary>
    public double IndexDelayMs { get; }

    /// <summary>Whether replicas see each other's dispatches and completions.</summary>
    public bool ShareInFlight { get; }

    /// <summary>How long those events take to reach the other replicas, simulated ms.</summary>
    public double EventDelayMs { get; }

    /// <summary>The object every replica of this run gets under <paramref name="key"/> (created by the first to ask).</summary>
    public T Shared<T>(string key, Func<T> create)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(create);
        if (!shared.TryGetValue(key, out var value))
        {
            value = create();
            shared[key] = value;
        }

        return (T)value;
    }
}
