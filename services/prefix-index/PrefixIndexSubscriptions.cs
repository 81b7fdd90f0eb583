using InferenceMesh.Contracts;
using InferenceMesh.Dapr;

namespace InferenceMesh.PrefixIndex;

/// <summary>Dapr subscriptions: routing decisions become records (on <c>pubsub</c>, so one replica records each), and
/// endpoint metrics set capacities and purge endpoints gone from their pool (on <c>pubsub-fanout</c>).</summary>
internal static class PrefixIndexSubscriptions
{
    public const string RoutingDecisionsRoute = "/events/routing-decisions";
    public const string EndpointMetricsRoute = "/events/endpoint-metrics";

    public static void Map(IEndpointRouteBuilder app)
    {
        var service = app.ServiceProvider.GetRequiredService<IPrefixIndexService>();
        var lifecycle = app.ServiceProvider.GetRequiredService<EndpointLifecycle>();
        var kvEvents = app.ServiceProvider.GetService<KvEvents.KvEventsConsumer>();
        app.MapSubscription(DaprNames.PubSub, DaprNames.RoutingDecisionsTopic, RoutingDecisionsRoute, ContractsJsonContext.Default.RoutingDecision,
            async (d, ct) =>
            {
                if (string.IsNullOrEmpty(d.Model) || string.IsNullOrEmpty(d.Endpoint) || d.BlockHashes is null)
                    return TopicResult.Drop;
                try
                {
                    // Store failures are absorbed by the service (a stale record is not worth a redelivery storm).
                    await service.RecordAsync(new PrefixRecordRequest(d.Model, d.Endpoint, d.BlockHashes), ct).ConfigureAwait(false);
                    return TopicResult.Success;
                }
                catch (Prefix.Index.PrefixRequestException)
                {
                    return TopicResult.Drop;
                }
            });
        app.MapSubscription(DaprNames.FanOutPubSub, DaprNames.EndpointMetricsTopic, EndpointMetricsRoute, ContractsJsonContext.Default.PoolSnapshot,
            async (snapshot, ct) =>
            {
                await lifecycle.ApplyAsync(snapshot, ct).ConfigureAwait(false);
                kvEvents?.Observe(snapshot);
                return TopicResult.Success;
            });
        app.MapDaprSubscribeHandler();
    }
}
