using InferenceMesh.Contracts;

namespace InferenceMesh.MetricsCollector;

/// <summary>An endpoint's state as judged at one moment.</summary>
/// <param name="Health">Healthy, Stale or Unhealthy.</param>
/// <param name="Metrics">The last good numbers, tagged with <paramref name="Health"/>; null before the first good scrape.</param>
/// <param name="ConsecutiveFailures">Failed scrapes since the last good one.</param>
/// <param name="LastError">Why the last scrape failed; null when it succeeded.</param>
internal readonly record struct EndpointReading(EndpointHealth Health, EndpointMetrics? Metrics, int ConsecutiveFailures, string? LastError);
