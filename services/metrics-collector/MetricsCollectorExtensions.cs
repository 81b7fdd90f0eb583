namespace InferenceMesh.MetricsCollector;

/// <summary>Registration and endpoints of the MetricsCollector service.</summary>
public static class MetricsCollectorExtensions
{
    /// <summary>Registers the service's options and components.</summary>
    public static WebApplicationBuilder AddMetricsCollector(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder;
    }

    /// <summary>Maps the service's HTTP API.</summary>
    public static IEndpointRouteBuilder MapMetricsCollectorApi(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app;
    }
}
