using InferenceMesh.Dapr;
using InferenceMesh.Prefix.Index;

namespace InferenceMesh.PrefixIndex;

/// <summary>Registration and endpoints of the PrefixIndex service.</summary>
public static class PrefixIndexExtensions
{
    /// <summary>Registers the index (section <c>PrefixIndex</c>, validated at start), the Dapr client and subscriptions.</summary>
    public static WebApplicationBuilder AddPrefixIndex(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddDaprClient();
        builder.Services.AddPrefixIndexCore();
        builder.Services.AddSingleton<EndpointLifecycle>();
        return builder;
    }

    /// <summary>Maps the service's HTTP API (<see cref="PrefixIndexApi"/>) and its Dapr subscriptions.</summary>
    public static IEndpointRouteBuilder MapPrefixIndexApi(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        PrefixIndexApi.Map(app);
        PrefixIndexSubscriptions.Map(app);
        return app;
    }
}
