using InferenceMesh.Contracts;

namespace InferenceMesh.Scheduling;

/// <summary>The individual scorers, each 0..1, higher is better.</summary>
internal static class Scorers
{
    /// <summary>(max − v)/(max − min) over the candidates; all equal → 1.</summary>
    public static double Relative(int value, int min, int max) => max == min ? 1.0 : (double)(max - value) / (max - min);

    /// <summary><see cref="Relative"/> over whole-number values, in place: each v becomes (max − v)/(max − min).</summary>
    public static void RelativeInPlace(Span<double> values)
    {
        double min = double.MaxValue, max = double.MinValue;
        foreach (var v in values)
        {
            min = Math.Min(min, v);
            max = Math.Max(max, v);
        }
        for (var k = 0; k < values.Length; k++)
            values[k] = max == min ? 1.0 : (max - values[k]) / (max - min);
    }

    public static double Kv(double usage) => Math.Clamp(1.0 - usage, 0.0, 1.0);

    public static double Prefix(int matched, int totalBlocks) =>
        totalBlocks <= 0 ? 0.0 : Math.Clamp((double)matched / totalBlocks, 0.0, 1.0);

    /// <summary>Adapter running 1.0, a free adapter slot 0.8, adapter waiting 0.6, else 0.</summary>
    public static double Lora(EndpointState e, string? adapter)
    {
        if (string.IsNullOrEmpty(adapter))
            return 0;
        if (Contains(e.RunningLoras, adapter))
            return 1.0;
        if (e.MaxLoras > 0 && e.RunningLoras.Count < e.MaxLoras)
            return 0.8;
        if (Contains(e.WaitingLoras, adapter))
            return 0.6;
        return 0;
    }

    /// <summary>max(waiting_effective / Q, kv / KV); stale or unhealthy endpoints are infinitely saturated. Scoring's view
    /// of load (the predicted-TTFT picker's prefix gate and penalties).</summary>
    public static double Saturation(EndpointState e, long nowMs, SchedulerOptions o)
    {
        if (!e.IsFresh(nowMs, o.StalenessMs))
            return double.PositiveInfinity;
        return Math.Max(e.EffectiveWaiting / o.QueueThreshold, e.KvUsage / o.KvThreshold);
    }

    /// <summary>
    /// The admission gate's view: waiting_effective / Q, the server's own queue as this replica can tell now. KV use does
    /// not close the gate: a server queues exactly when it cannot admit (KV, max_num_seqs or token budget), so its queue
    /// is the direct signal of "no room"; a KV threshold held requests the server would have started, and gave the
    /// Standard band a P99 1.35 x the no-queue variant's under overload (docs/benchmarks/overload.md).
    /// With several live replicas splitting the headroom (in-flight sharing), the queue this replica's share assumes when
    /// that is longer (<see cref="EndpointState.SharedWaiting"/>). Stale or unhealthy endpoints are infinitely saturated.
    /// </summary>
    public static double GateSaturation(EndpointState e, long nowMs, SchedulerOptions o)
    {
        if (!e.IsFresh(nowMs, o.StalenessMs))
            return double.PositiveInfinity;
        return Math.Max(e.EffectiveWaiting, e.SharedWaiting) / o.QueueThreshold;
    }

    public static bool IsSaturated(EndpointState e, long nowMs, SchedulerOptions o) => Saturation(e, nowMs, o) > 1.0;

    private static bool Contains(IReadOnlyList<string> list, string value)
    {
        for (var i = 0; i < list.Count; i++)
        {
            if (string.Equals(list[i], value, StringComparison.Ordinal))
                return true;
        }
        return false;
    }

    internal static bool IsUsable(EndpointState e) => e.Health != EndpointHealth.Unhealthy;
}
