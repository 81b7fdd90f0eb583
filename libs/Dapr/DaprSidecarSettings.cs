using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace InferenceMesh.Dapr;

/// <summary>Where the sidecar is and which tokens guard it, read like Dapr.Client reads them: configuration key first
/// (environment variables are configuration too), then the SDK's defaults.</summary>
public static class DaprSidecarSettings
{
    /// <summary>Full HTTP address of the sidecar; wins over <see cref="HttpPortKey"/>.</summary>
    public const string HttpEndpointKey = "DAPR_HTTP_ENDPOINT";

    /// <summary>HTTP port of the sidecar on localhost (default 3500).</summary>
    public const string HttpPortKey = "DAPR_HTTP_PORT";

    /// <summary>Full gRPC address of the sidecar; wins over <see cref="GrpcPortKey"/>.</summary>
    public const string GrpcEndpointKey = "DAPR_GRPC_ENDPOINT";

    /// <summary>gRPC port of the sidecar on localhost (default 50001).</summary>
    public const string GrpcPortKey = "DAPR_GRPC_PORT";

    /// <summary>Sent as <c>dapr-api-token</c> on every call to the sidecar.</summary>
    public const string ApiTokenKey = "DAPR_API_TOKEN";

    /// <summary>Expected in <c>dapr-api-token</c> on calls from the sidecar to the app.</summary>
    public const string AppApiTokenKey = "APP_API_TOKEN";

    public static string HttpEndpoint(IConfiguration configuration) => Endpoint(configuration, HttpEndpointKey, HttpPortKey, 3500);

    public static string GrpcEndpoint(IConfiguration configuration) => Endpoint(configuration, GrpcEndpointKey, GrpcPortKey, 50001);

    public static string? ApiToken(IConfiguration configuration) => NullIfEmpty(configuration[ApiTokenKey]);

    public static string? AppApiToken(IConfiguration configuration) => NullIfEmpty(configuration[AppApiTokenKey]);

    private static string Endpoint(IConfiguration configuration, string endpointKey, string portKey, int defaultPort)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        if (NullIfEmpty(configuration[endpointKey]) is { } endpoint)
        {
            return Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
                ? uri.GetLeftPart(UriPartial.Authority)
                : throw new InvalidOperationException($"{endpointKey} must be an absolute http(s) address, got '{endpoint}'");
        }
        var port = defaultPort;
        if (NullIfEmpty(configuration[portKey]) is { } text && (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535))
            throw new InvalidOperationException($"{portKey} must be a port number, got '{text}'");
        return $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}";
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
