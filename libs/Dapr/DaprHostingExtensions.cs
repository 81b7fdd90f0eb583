using Dapr.AspNetCore;
using Dapr.Client;
using InferenceMesh.ServiceDefaults;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace InferenceMesh.Dapr;

/// <summary>Registers Dapr.Client, publishing through it, the app-token check of Dapr.AspNetCore and the sidecar
/// readiness check; or, for a host that composes its services in one process, the in-memory bus instead.</summary>
public static class DaprHostingExtensions
{
    /// <summary>Health check name of the sidecar probe (tagged <see cref="ServiceDefaultsExtensions.ReadyTag"/>).</summary>
    public const string SidecarHealthCheckName = "dapr-sidecar";

    /// <summary>Authorization policy that requires the sidecar's <c>dapr-api-token</c> (<c>APP_API_TOKEN</c>).</summary>
    public const string AppTokenPolicy = "dapr-app-token";

    private const string DaprScheme = "Dapr";

    /// <summary>Adds <see cref="DaprClient"/> (addresses and token from <see cref="DaprSidecarSettings"/>),
    /// <see cref="IEventPublisher"/> through it, the subscription registry, Dapr authentication of the app token, the
    /// sidecar readiness check and a start-up wait for the sidecar. Safe to call more than once.</summary>
    public static IServiceCollection AddDaprSidecar(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (services.Any(d => d.ServiceType == typeof(DaprSidecarProbe)))
            return services;
        services.AddDaprClient((sp, builder) =>
        {
            var configuration = sp.GetRequiredService<IConfiguration>();
            builder.UseHttpEndpoint(DaprSidecarSettings.HttpEndpoint(configuration))
                .UseGrpcEndpoint(DaprSidecarSettings.GrpcEndpoint(configuration));
            if (DaprSidecarSettings.ApiToken(configuration) is { } token)
                builder.UseDaprApiToken(token);
        });
        services.TryAddSingleton<IEventPublisher, DaprEventPublisher>();
        services.TryAddSingleton<DaprSubscriptionRegistry>();
        services.AddAuthentication().AddDapr();
        services.AddOptions<DaprAuthenticationOptions>(DaprScheme)
            .Configure<IConfiguration>((o, configuration) => o.Token = DaprSidecarSettings.AppApiToken(configuration) ?? string.Empty);
        services.AddAuthorization(o => o.AddPolicy(AppTokenPolicy, p => p.AddAuthenticationSchemes(DaprScheme).RequireAuthenticatedUser()));
        services.AddSingleton<DaprSidecarProbe>();
        services.AddHostedService(sp => sp.GetRequiredService<DaprSidecarProbe>());
        services.AddHealthChecks().AddCheck<DaprSidecarHealthCheck>(SidecarHealthCheckName, tags: [ServiceDefaultsExtensions.ReadyTag]);
        return services;
    }

    /// <summary>An <see cref="HttpClient"/> whose calls to <c>http://{appId}/path</c> Dapr.Client sends through the sidecar's
    /// service invocation (<see cref="DaprClient.CreateInvokeHttpClient"/>), with the sidecar address and API token from
    /// <paramref name="configuration"/>. Keep one per target app for the process: it pools its connections.</summary>
    public static HttpClient CreateInvocationClient(IConfiguration configuration, string appId)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentException.ThrowIfNullOrEmpty(appId);
        var client = DaprClient.CreateInvokeHttpClient(appId, DaprSidecarSettings.HttpEndpoint(configuration), DaprSidecarSettings.ApiToken(configuration));
        // Callers bound their calls with their own cancellation (the scheduler long-polls while a request queues).
        client.Timeout = Timeout.InfiniteTimeSpan;
        return client;
    }

    /// <summary>For a host running several services in one process: events go through <paramref name="bus"/> (shared by
    /// every service of the process) and this host's declared subscriptions join it while the host runs.</summary>
    public static IServiceCollection AddInMemoryEventBus(this IServiceCollection services, InMemoryEventBus bus)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(bus);
        services.Replace(ServiceDescriptor.Singleton<IEventPublisher>(new InMemoryEventPublisher(bus)));
        services.TryAddSingleton<DaprSubscriptionRegistry>();
        services.AddHostedService(sp => new InMemoryBusAttachment(bus, sp.GetRequiredService<DaprSubscriptionRegistry>(), sp.GetRequiredService<ServiceIdentity>()));
        return services;
    }
}

/// <summary>Joins the host's declared subscriptions to the in-memory bus for the host's lifetime.</summary>
internal sealed class InMemoryBusAttachment(InMemoryEventBus bus, DaprSubscriptionRegistry registry, ServiceIdentity identity) : IHostedService
{
    private IDisposable? _attachment;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _attachment = bus.Attach(registry, identity);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _attachment?.Dispose();
        return Task.CompletedTask;
    }
}
