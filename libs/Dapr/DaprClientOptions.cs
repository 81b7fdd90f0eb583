using System.ComponentModel.DataAnnotations;

namespace InferenceMesh.Dapr;

/// <summary>Where the sidecar is and which tokens guard it; bound from the <c>Dapr</c> section, defaults from the Dapr environment variables.</summary>
public sealed record DaprClientOptions
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "Dapr";

    /// <summary>Sidecar HTTP address; default <c>DAPR_HTTP_ENDPOINT</c>, else <c>http://127.0.0.1:{DAPR_HTTP_PORT ?? 3500}</c>.</summary>
    [Url]
    public string? HttpEndpoint { get; set; }

    /// <summary>Sent as <c>dapr-api-token</c> on every call to the sidecar; default <c>DAPR_API_TOKEN</c>.</summary>
    public string? ApiToken { get; set; }

    /// <summary>Expected in <c>dapr-api-token</c> on calls from the sidecar to the app; default <c>APP_API_TOKEN</c>.</summary>
    public string? AppApiToken { get; set; }

    /// <summary>Per-call timeout towards the sidecar, in seconds.</summary>
    [Range(1, 3600)]
    public int RequestTimeoutSeconds { get; set; } = 100;

    /// <summary>How long the start-up probe of <c>/v1.0/healthz/outbound</c> keeps trying before it logs a warning.</summary>
    [Range(0, 3600)]
    public int SidecarWaitSeconds { get; set; } = 60;

    /// <summary>Options taken from the Dapr environment variables only.</summary>
    public static DaprClientOptions FromEnvironment() => new DaprClientOptions().WithEnvironmentDefaults();

    /// <summary>Fills unset values from <c>DAPR_HTTP_ENDPOINT</c>/<c>DAPR_HTTP_PORT</c>, <c>DAPR_API_TOKEN</c> and <c>APP_API_TOKEN</c>.</summary>
    public DaprClientOptions WithEnvironmentDefaults()
    {
        HttpEndpoint ??= DefaultHttpEndpoint();
        ApiToken ??= NullIfEmpty(Environment.GetEnvironmentVariable("DAPR_API_TOKEN"));
        AppApiToken ??= NullIfEmpty(Environment.GetEnvironmentVariable("APP_API_TOKEN"));
        return this;
    }

    internal static string DefaultHttpEndpoint()
    {
        var endpoint = Environment.GetEnvironmentVariable("DAPR_HTTP_ENDPOINT");
        if (!string.IsNullOrEmpty(endpoint))
            return endpoint;
        var port = Environment.GetEnvironmentVariable("DAPR_HTTP_PORT");
        return $"http://127.0.0.1:{(string.IsNullOrEmpty(port) ? "3500" : port)}";
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
