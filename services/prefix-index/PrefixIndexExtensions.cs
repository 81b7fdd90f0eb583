namespace InferenceMesh.PrefixIndex;

/// <summary>Registration and endpoints of the PrefixIndex service.</summary>
public static class PrefixIndexExtensions
{
    /// <summary>Registers the service's options and components.</summary>
    public static WebApplicationBuilder AddPrefixIndex(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder;
    }

    /// <summary>Maps the service's HTTP API.</summary>
    public static IEndpointRouteBuilder MapPrefixIndexApi(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app;
    }
}
