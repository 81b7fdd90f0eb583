using InferenceMesh.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace InferenceMesh.Dapr;

/// <summary>Registers the Dapr client, the event publisher, the subscription registry and the sidecar readiness check.</summary>
public static class DaprHostingExtensions
{
    /// <summary>Health check name of the sidecar probe (tagged <see cref="ServiceDefaultsExtensions.ReadyTag"/>).</summary>
    public const string SidecarHealthCheckName = "dapr-sidecar";

    /// <summary>Adds <see cref="DaprClient"/> (options from section <c>Dapr</c>, defaults from the Dapr environment variables),
    /// <see cref="IEventPublisher"/> through the sidecar, <see cref="DaprSubscriptionRegistry"/>, the sidecar readiness check
    /// and a start-up probe of <c>/v1.0/healthz/outbound</c>. Safe to call more than once.</summary>
    public static WebApplicationBuilder AddDaprClient(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddDaprClient();
        return builder;
    }

    /// <inheritdoc cref="AddDaprClient(WebApplicationBuilder)"/>
    public static IServiceCollection AddDaprClient(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (services.Any(d => d.ServiceType == typeof(DaprClient)))
            return services;
        services.AddValidatedOptions<DaprClientOptions>(DaprClientOptions.Section);
        services.PostConfigure<DaprClientOptions>(o => o.WithEnvironmentDefaults());
        services.AddSingleton(sp => DaprClient.Create(sp.GetRequiredService<IOptions<DaprClientOptions>>().Value));
        services.TryAddSingleton<IEventPublisher, DaprEventPublisher>();
        services.TryAddSingleton<DaprSubscriptionRegistry>();
        services.AddHealthChecks().AddCheck<DaprSidecarHealthCheck>(SidecarHealthCheckName, tags: [ServiceDefaultsExtensions.ReadyTag]);
        services.AddHostedService<DaprSidecarProbe>();
        return services;
    }

    /// <summary>Embedded mode: events go through <paramref name="bus"/> (shared by every service of the process) instead of the
    /// sidecar; this host's declared subscriptions join the bus when it starts; the sidecar check reports healthy.</summary>
    public static WebApplicationBuilder AddInMemoryEventBus(this WebApplicationBuilder builder, InMemoryEventBus bus)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddInMemoryEventBus(bus);
        return builder;
    }

    /// <inheritdoc cref="AddInMemoryEventBus(WebApplicationBuilder, InMemoryEventBus)"/>
    public static IServiceCollection AddInMemoryEventBus(this IServiceCollection services, InMemoryEventBus bus)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(bus);
        services.AddSingleton(new EmbeddedMode(bus));
        services.Replace(ServiceDescriptor.Singleton<IEventPublisher>(new InMemoryEventPublisher(bus)));
        services.TryAddSingleton<DaprSubscriptionRegistry>();
        services.AddHostedService<InMemoryBusAttachment>();
        return services;
    }
}

/// <summary>Marks a host wired to an in-memory bus: no sidecar is expected.</summary>
internal sealed record EmbeddedMode(InMemoryEventBus Bus);

/// <summary>Joins the host's declared subscriptions to the in-memory bus for the host's lifetime.</summary>
internal sealed class InMemoryBusAttachment(EmbeddedMode mode, DaprSubscriptionRegistry registry, ServiceIdentity identity) : IHostedService
{
    private IDisposable? _attachment;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _attachment = mode.Bus.Attach(registry, identity);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _attachment?.Dispose();
        return Task.CompletedTask;
    }
}
