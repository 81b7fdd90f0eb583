using InferenceMesh.Contracts;

namespace InferenceMesh.Scheduling;

/// <summary>One endpoint as this replica sees it (<c>GET /pool</c>); <paramref name="Saturation"/> is null when stale or unhealthy;
/// <paramref name="DecodeMsPerToken"/> (the measured decode speed the cost model scales by) is null until measured.</summary>
public sealed record EndpointStatus(
    string Address,
    int Waiting,
    int Running,
    double KvUsage,
    int SinceSnapshot,
    int InFlight,
    double? Saturation,
    bool Fresh,
    EndpointHealth Health,
    long ScrapedAtUnixMs,
    double? DecodeMsPerToken);
