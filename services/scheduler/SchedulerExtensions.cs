namespace InferenceMesh.Scheduler;

/// <summary>Registration and endpoints of the Scheduler service.</summary>
public static class SchedulerExtensions
{
    /// <summary>Registers the service's options and components.</summary>
    public static WebApplicationBuilder AddScheduler(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder;
    }

    /// <summary>Maps the service's HTTP API.</summary>
    public static IEndpointRouteBuilder MapSchedulerApi(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app;
    }
}
