using System.Diagnostics.Metrics;

namespace InferenceMesh.ExtProc.BodyRouting;

/// <summary>Counters of the body router: requests by outcome (<c>model</c> header set, no model found, body too large).</summary>
internal sealed class BodyRoutingMetrics
{
    public const string MeterName = "InferenceMesh.BodyRouting";

    private readonly Counter<long> _requests;
    private static readonly KeyValuePair<string, object?> Routed = new("outcome", "routed");
    private static readonly KeyValuePair<string, object?> NoModel = new("outcome", "no_model");
    private static readonly KeyValuePair<string, object?> TooLarge = new("outcome", "too_large");

    public BodyRoutingMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _requests = meter.CreateCounter<long>("inferencemesh.bbr.requests", description: "Requests seen by the body-based router, by outcome");
    }

    public void Request(bool routed) => _requests.Add(1, routed ? Routed : NoModel);

    public void RequestTooLarge() => _requests.Add(1, TooLarge);
}
