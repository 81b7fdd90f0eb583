namespace InferenceMesh.Bench.Replay;

/// <summary>How far the servers' own queues go past the saturation detector's queue threshold, sampled at every scrape
/// from the servers' true <c>num_requests_waiting</c>: the overshoot that pickers counting only their own dispatches cause.</summary>
internal sealed class QueueOvershoot(double threshold)
{
    private double excessSum;
    private long over;
    private long samples;

    public double Threshold => threshold;

    /// <summary>Largest waiting queue seen on any server.</summary>
    public int MaxWaiting { get; private set; }

    /// <summary>Mean of max(0, waiting − threshold) over every server at every scrape.</summary>
    public double MeanExcess => samples == 0 ? 0 : excessSum / samples;

    /// <summary>Share of (server, scrape) samples with waiting above the threshold.</summary>
    public double OverShare => samples == 0 ? 0 : (double)over / samples;

    public void Sample(int waiting)
    {
        samples++;
        MaxWaiting = Math.Max(MaxWaiting, waiting);
        if (waiting > threshold)
        {
            over++;
            excessSum += waiting - threshold;
        }
    }
}
