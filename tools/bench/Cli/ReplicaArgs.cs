using System.CommandLine;
using InferenceMesh.Bench.Replay;

namespace InferenceMesh.Bench.Cli;

/// <summary>The picker-replica options of <c>bench replay</c> (virtual mode).</summary>
internal sealed class ReplicaArgs
{
    private readonly Option<int> replicas = new("--replicas") { Description = "Picker replicas, each with its own scheduler instance (queue, in-flight counts, snapshot view); requests are spread over them", DefaultValueFactory = _ => 1 };
    private readonly Option<string> spread = new("--spread") { Description = "How requests are spread over the replicas, as Envoy spreads ext_proc streams: round-robin or random (seeded)", DefaultValueFactory = _ => "round-robin" };
    private readonly Option<string> prefixState = new("--prefix-state") { Description = "shared (one index, records visible after --index-delay-ms) or per-replica (each replica indexes what it routed); gie-reference is always per-replica", DefaultValueFactory = _ => "shared" };
    private readonly Option<double> snapshotDelay = new("--snapshot-delay-ms") { Description = "Pub/sub delay of a metrics snapshot to every replica, simulated ms", DefaultValueFactory = _ => 0 };
    private readonly Option<double> indexDelay = new("--index-delay-ms") { Description = "Shared index: delay before a decision is visible in the index, simulated ms", DefaultValueFactory = _ => 0 };
    private readonly Option<string> inFlight = new("--inflight") { Description = "shared (scheduler replicas see each other's dispatches and completions after --event-delay-ms) or local (each counts only its own)", DefaultValueFactory = _ => "shared" };
    private readonly Option<double> eventDelay = new("--event-delay-ms") { Description = "Delay of those dispatch/completion events, simulated ms", DefaultValueFactory = _ => 0 };
    private readonly Option<double?> joinAt = new("--join-at-ms") { Description = "Start the last replica at this simulated ms (a replica added mid-replay) and compare its first decisions' prefix hit rate with the others'" };
    private readonly Option<int> joinDecisions = new("--join-decisions") { Description = "How many of the late replica's first decisions to compare", DefaultValueFactory = _ => 100 };

    public IEnumerable<Option> All => [replicas, spread, prefixState, snapshotDelay, indexDelay, inFlight, eventDelay, joinAt, joinDecisions];

    /// <summary>The options given, validated; a bad value is a usage error naming the option.</summary>
    public ReplicaOptions Parse(ParseResult r)
    {
        var count = r.GetValue(replicas);
        if (count is < 1 or > 64)
        {
            throw new UsageException("--replicas must be between 1 and 64");
        }

        var spreadMode = r.GetValue(spread) switch
        {
            "round-robin" => ReplicaSpread.RoundRobin,
            "random" => ReplicaSpread.Random,
            var other => throw new UsageException($"--spread must be round-robin or random, not '{other}'"),
        };
        var state = r.GetValue(prefixState) switch
        {
            "shared" => PrefixState.Shared,
            "per-replica" => PrefixState.PerReplica,
            var other => throw new UsageException($"--prefix-state must be shared or per-replica, not '{other}'"),
        };
        var share = r.GetValue(inFlight) switch
        {
            "shared" => true,
            "local" => false,
            var other => throw new UsageException($"--inflight must be shared or local, not '{other}'"),
        };
        var delays = (Snapshot: r.GetValue(snapshotDelay), Index: r.GetValue(indexDelay), Event: r.GetValue(eventDelay));
        if (!(delays.Snapshot >= 0) || !(delays.Index >= 0) || !(delays.Event >= 0))
        {
            throw new UsageException("--snapshot-delay-ms, --index-delay-ms and --event-delay-ms must be >= 0");
        }

        var join = r.GetValue(joinAt);
        if (join is { } j && (count < 2 || !(j >= 0)))
        {
            throw new UsageException("--join-at-ms needs --replicas 2 or more and a time >= 0");
        }

        if (r.GetValue(joinDecisions) < 1)
        {
            throw new UsageException("--join-decisions must be >= 1");
        }

        return new ReplicaOptions(count, spreadMode, state, delays.Snapshot, delays.Index, share, delays.Event, join, r.GetValue(joinDecisions));
    }
}
