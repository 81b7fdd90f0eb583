using InferenceMesh.Contracts;

namespace InferenceMesh.MetricsCollector;

/// <summary>One row of <c>GET /endpoints</c>: what the collector scrapes and what it currently believes.</summary>
/// <param name="Pool">Pool name.</param>
/// <param name="Address">"ip:port".</param>
/// <param name="Engine">Engine label.</param>
/// <param name="PodName">Pod (or local) name.</param>
/// <param name="Health">Current judgement.</param>
/// <param name="ConsecutiveFailures">Failed scrapes since the last good one.</param>
/// <param name="LastError">Why the last scrape failed, if it did.</param>
/// <param name="Metrics">Last good numbers (flagged with the health); null before the first good scrape.</param>
public sealed record EndpointStatus(
    string Pool,
    string Address,
    string Engine,
    string PodName,
    EndpointHealth Health,
    int ConsecutiveFailures,
    string? LastError,
    EndpointMetrics? Metrics);
