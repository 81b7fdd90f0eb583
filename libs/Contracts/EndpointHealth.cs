using System.Text.Json.Serialization;

namespace InferenceMesh.Contracts;

/// <summary>What the collector knows of an endpoint's metrics.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<EndpointHealth>))]
public enum EndpointHealth
{
    /// <summary>The last scrape succeeded within the staleness bound.</summary>
    Healthy = 0,

    /// <summary>No successful scrape within the staleness bound; numbers must not be trusted.</summary>
    Stale = 1,

    /// <summary>Scrapes fail; the endpoint must not receive traffic.</summary>
    Unhealthy = 2,
}
