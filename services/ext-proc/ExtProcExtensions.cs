namespace InferenceMesh.ExtProc;

/// <summary>Registration and endpoints of the ExtProc service.</summary>
public static class ExtProcExtensions
{
    /// <summary>Registers the service's options and components.</summary>
    public static WebApplicationBuilder AddExtProc(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder;
    }

    /// <summary>Maps the service's HTTP API.</summary>
    public static IEndpointRouteBuilder MapExtProcApi(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app;
    }
}
