using InferenceMesh.Contracts;

namespace InferenceMesh.Bench.Policies;

/// <summary>
/// What a real picker sees of the fleet: each endpoint's metrics as last scraped (every 50 ms of simulated time, so
/// up to one interval stale) and the proxy's own count of requests it sent that have not finished. Endpoints are
/// indexed 0..Count-1 in the order of <see cref="Metrics"/>.
/// </summary>
public sealed class FleetView
{
    private readonly EndpointMetrics[] metrics;
    private readonly int[] outstanding;

    internal FleetView(EndpointMetrics[] metrics, int[] outstanding)
    {
        this.metrics = metrics;
        this.outstanding = outstanding;
    }

    /// <summary>Simulated now, ms from the start of the run.</summary>
    public double NowMs { get; internal set; }

    /// <summary>Endpoint count.</summary>
    public int Count => metrics.Length;

    /// <summary>Latest scraped metrics per endpoint.</summary>
    public IReadOnlyList<EndpointMetrics> Metrics => metrics;

    /// <summary>Requests this proxy dispatched to each endpoint that have not completed (what Envoy's LEAST_REQUEST counts).</summary>
    public IReadOnlyList<int> Outstanding => outstanding;

    /// <summary>The simulator's true state; set only for policies implementing <see cref="IOraclePolicy"/>.</summary>
    public IFleetOracle? Oracle { get; internal set; }

    internal EndpointMetrics[] MetricsArray => metrics;

    internal int[] OutstandingArray => outstanding;
}
