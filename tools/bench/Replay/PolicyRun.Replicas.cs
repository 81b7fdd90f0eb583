using InferenceMesh.Bench.Policies;
using InferenceMesh.Bench.Results;
using InferenceMesh.Contracts;
using InferenceMesh.Scheduling;

namespace InferenceMesh.Bench.Replay;

/// <summary>The replica side of a run: spreading requests, a replica joining mid-replay, and the replica figures.</summary>
internal sealed partial class PolicyRun
{
    /// <summary>The saturation detector's default queue threshold (GIE queueDepthThreshold): overshoot is measured against it.</summary>
    private static readonly double QueueThreshold = new SchedulerOptions().QueueThreshold;

    private readonly int[] replicaOf;
    private readonly Random spreadRandom;
    private readonly int[] requestsPerReplica;
    private readonly QueueOvershoot overshoot;
    private readonly Queue<EndpointMetrics[]> inTransit = new();
    private readonly List<int> lateDecisions = [];
    private readonly List<int> otherDecisions = [];
    private EndpointMetrics[] latest;
    private int nextReplica;
    private bool joined;

    /// <summary>Whether replica <paramref name="r"/> is the one that starts mid-replay.</summary>
    private bool Joins(int r) => replicas.JoinAtMs is not null && r == policies.Length - 1 && policies.Length > 1;

    /// <summary>The replica a new request goes to, among those running (Envoy spreads ext_proc streams per request).</summary>
    private int NextReplica()
    {
        var running = Joins(policies.Length - 1) && !joined ? policies.Length - 1 : policies.Length;
        if (replicas.Spread == ReplicaSpread.Random)
        {
            return spreadRandom.Next(running);
        }

        var r = nextReplica % running;
        nextReplica = r + 1;
        return r;
    }

    /// <summary>The late replica starts: a fresh policy instance whose view begins with the latest snapshot (the
    /// scheduler's cold start reads it from the state store).</summary>
    private void Join(int r, double now)
    {
        policies[r] = createPolicy(r);
        Array.Copy(latest, views[r].MetricsArray, latest.Length);
        views[r].NowMs = now;
        joined = true;
    }

    private void CountDecision(int i, int replica, double now)
    {
        if (!joined || lateDecisions.Count >= replicas.JoinDecisions)
        {
            return;
        }

        if (replica == policies.Length - 1)
        {
            lateDecisions.Add(i);
        }
        else if (now >= replicas.JoinAtMs)
        {
            otherDecisions.Add(i);
        }
    }

    private ReplicaResult Describe()
    {
        JoinResult? join = null;
        if (replicas.JoinAtMs is { } at && policies.Length > 1)
        {
            join = new JoinResult(at, lateDecisions.Count, HitRate(lateDecisions), otherDecisions.Count, HitRate(otherDecisions));
        }

        return new ReplicaResult(
            policies.Length,
            replicas.Spread == ReplicaSpread.Random ? "random" : "round-robin",
            replicas.PrefixState == PrefixState.Shared ? "shared" : "per-replica",
            replicas.SnapshotDelayMs,
            replicas.IndexDelayMs,
            replicas.ShareInFlight,
            replicas.EventDelayMs,
            overshoot.Threshold,
            Math.Round(overshoot.MeanExcess, 4),
            Math.Round(overshoot.OverShare, 4),
            overshoot.MaxWaiting,
            requestsPerReplica,
            join);
    }

    /// <summary>Σ cached prompt tokens at first admission / Σ prompt tokens over the answered requests of <paramref name="indices"/>.</summary>
    private double HitRate(List<int> indices)
    {
        double cached = 0, prompt = 0;
        foreach (var i in indices)
        {
            if (rec.Status[i] == 200)
            {
                cached += rec.CachedTokens[i];
                prompt += workload.Requests[i].InputTokens;
            }
        }

        return prompt > 0 ? Math.Round(cached / prompt, 4) : 0;
    }
}
