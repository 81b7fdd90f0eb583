namespace InferenceMesh.Bench.Policies;

/// <summary>What a policy factory gets: fleet shape and a seed for its own randomness.</summary>
/// <param name="Endpoints">Endpoint addresses in index order.</param>
/// <param name="Seed">Seed for the policy's Random (identical runs give identical picks).</param>
/// <param name="BlockSize">KV block size of the servers (tokens).</param>
/// <param name="KvBlocksPerServer">KV capacity of one server in blocks.</param>
/// <param name="MaxLoras">Adapter slots per server.</param>
/// <param name="TimeProvider">Simulated clock of the replay.</param>
public sealed record PolicyContext(
    IReadOnlyList<string> Endpoints,
    int Seed,
    int BlockSize,
    int KvBlocksPerServer,
    int MaxLoras,
    TimeProvider TimeProvider)
{
    /// <summary>Set when the replay runs several picker replicas (<c>--replicas</c>); null for a single picker.</summary>
    public ReplicaContext? Replica { get; init; }

    /// <summary>LRU capacity per server of the approximate prefix index (<c>--approx-capacity</c>); 0 = <see cref="KvBlocksPerServer"/>.</summary>
    public int ApproxIndexCapacity { get; init; }

    /// <summary>Capacity feedback's grow / shrink per block (<c>--capacity-feedback-steps</c>); null = prefix-index's defaults.</summary>
    public (double Grow, double Shrink)? CapacityFeedbackSteps { get; init; }

    /// <summary>The mesh policies' <c>Scheduler:PlacementRetention</c> (<c>--placement-retention</c>); null = the scheduler's default.</summary>
    public double? PlacementRetention { get; init; }
}
