using System.Diagnostics.Metrics;
using InferenceMesh.Contracts;
using InferenceMesh.Dapr;
using InferenceMesh.Kubernetes;
using InferenceMesh.Scheduling;
using InferenceMesh.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace InferenceMesh.Scheduler;

/// <summary>Registration and endpoints of the Scheduler service.</summary>
public static class SchedulerExtensions
{
    /// <summary>Registers the scheduler (<see cref="AddSchedulerCore"/>) with its Dapr transports: Dapr.Client and the sidecar
    /// readiness check, decisions published through the sidecar, prefix matching over Dapr invocation, and the cold start
    /// from the state store.</summary>
    public static WebApplicationBuilder AddScheduler(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddDaprSidecar();
        services.TryAddSingleton<IPrefixIndexService, DaprPrefixIndexClient>();
        builder.AddSchedulerCore();
        services.AddHostedService<SnapshotColdStart>();
        return builder;
    }

    /// <summary>Registers options (section <c>Scheduler</c>, validated at start), the in-process <see cref="SchedulingService"/>
    /// (also as <see cref="ISchedulingService"/>), decision publishing through <see cref="IEventPublisher"/>, and pool discovery
    /// (<c>Discovery</c>, off by default) whose InferencePool annotations set each pool's routing strategy and queueing unless
    /// <c>Scheduler:Pools</c> overrides them. The host registers the <see cref="IEventPublisher"/> and, for prefix-aware
    /// routing, the <see cref="IPrefixIndexService"/>.</summary>
    public static WebApplicationBuilder AddSchedulerCore(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddValidatedOptions<SchedulerOptions>(SchedulerOptions.Section);
        services.AddValidatedOptions<InFlightSharingOptions>(InFlightSharingOptions.Section);
        services.TryAddSingleton<DecisionPublisher>();
        services.TryAddSingleton<IRoutingDecisionPublisher>(sp => sp.GetRequiredService<DecisionPublisher>());
        services.AddHostedService(sp => sp.GetRequiredService<DecisionPublisher>());
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<SchedulerOptions>>().Value;
            var random = options.RandomSeed is { } seed ? new Random(seed) : new Random();
            return new SchedulingService(options, sp.GetRequiredService<TimeProvider>(), random,
                sp.GetRequiredService<ServiceIdentity>().ReplicaId, sp.GetService<IPrefixIndexService>(),
                sp.GetService<IRoutingDecisionPublisher>(), sp.GetService<ILogger<SchedulingService>>(), sp.GetService<IMeterFactory>());
        });
        services.TryAddSingleton<ISchedulingService>(sp => sp.GetRequiredService<SchedulingService>());
        // Only InferencePools matter here (their annotations), so no pod watches and no pod RBAC. Registered before the
        // cold start, so the pool file is read by the time it asks which pools exist.
        services.AddPoolDiscovery(watchPods: false);
        // A singleton: AddCheck<T> would otherwise build a new check (and restart its timeout) on every probe.
        services.TryAddSingleton<PoolDiscoveryHealthCheck>();
        services.AddHealthChecks().AddCheck<PoolDiscoveryHealthCheck>("pool-discovery", tags: [ServiceDefaultsExtensions.ReadyTag]);
        services.AddHostedService<DiscoveredPoolSettings>();
        return builder;
    }

    /// <summary>Maps <c>POST /schedule</c>, <c>POST /complete</c>, <c>GET /queue</c>, <c>GET /pool</c>, the pub/sub deliveries of
    /// <c>endpoint-metrics</c>, <c>request-completions</c> and <c>scheduler-dispatches</c> on <c>pubsub-fanout</c>, and <c>GET /dapr/subscribe</c>.</summary>
    public static IEndpointRouteBuilder MapSchedulerApi(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        SchedulerApi.Map(app);
        return app;
    }
}
