using InferenceMesh.Dapr;
using InferenceMesh.Prefix.Index;
using InferenceMesh.PrefixIndex.KvEvents;

namespace InferenceMesh.PrefixIndex;

/// <summary>Registration and endpoints of the PrefixIndex service.</summary>
public static class PrefixIndexExtensions
{
    /// <summary>Registers the index (<see cref="AddPrefixIndexCore"/>) with Dapr.Client (the <c>dapr</c> backend, the
    /// app token of its invoked API and subscriptions; readiness includes the sidecar).</summary>
    public static WebApplicationBuilder AddPrefixIndex(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddDaprSidecar();
        return builder.AddPrefixIndexCore();
    }

    /// <summary>Registers the index (section <c>PrefixIndex</c>, validated at start) and the endpoint lifecycle; the host
    /// registers the <see cref="IEventPublisher"/> side of its subscriptions (the sidecar or the in-memory bus).</summary>
    public static WebApplicationBuilder AddPrefixIndexCore(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddPrefixIndexCore();
        builder.Services.AddSingleton<EndpointLifecycle>();
        builder.Services.AddKvEvents(builder.Configuration);
        return builder;
    }

    /// <summary>Maps the service's HTTP API (<see cref="PrefixIndexApi"/>) and its Dapr subscriptions.</summary>
    public static IEndpointRouteBuilder MapPrefixIndexApi(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        PrefixIndexApi.Map(app);
        PrecisePrefixApi.Map(app);
        PrefixIndexSubscriptions.Map(app);
        return app;
    }
}
