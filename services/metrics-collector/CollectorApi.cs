using InferenceMesh.Contracts;
using InferenceMesh.Dapr;
using InferenceMesh.Kubernetes;

namespace InferenceMesh.MetricsCollector;

/// <summary>The collector's HTTP API for humans and tests (through the sidecar: with <c>APP_API_TOKEN</c> set, calls
/// without its <c>dapr-api-token</c> get 401).</summary>
internal static class CollectorApi
{
    public static IEndpointRouteBuilder MapCollectorApi(this IEndpointRouteBuilder routes)
    {
        var app = routes.MapDaprAppGroup();
        // GET /endpoints: every scraped endpoint with its health and last good numbers.
        app.MapGet("/endpoints", (ScrapeManager scrapes) =>
        {
            var states = scrapes.States;
            var rows = new List<EndpointStatus>(states.Count);
            foreach (var s in states)
            {
                var r = s.Read();
                var e = s.Endpoint;
                rows.Add(new EndpointStatus(e.Pool, e.Address, e.Engine, e.PodName, r.Health, r.ConsecutiveFailures, r.LastError, r.Metrics));
            }
            return TypedResults.Json<IReadOnlyList<EndpointStatus>>(rows, CollectorJsonContext.Default.IReadOnlyListEndpointStatus);
        });

        // GET /pools: the discovered pools, models and endpoints.
        app.MapGet("/pools", (IPoolDiscovery discovery) => TypedResults.Json(discovery.Current, CollectorJsonContext.Default.PoolView));

        // GET /snapshots: the last snapshot built per pool; GET /snapshots/{pool}: one pool's.
        app.MapGet("/snapshots", (SnapshotPublisher publisher) =>
            TypedResults.Json(publisher.AllLatest, CollectorJsonContext.Default.IReadOnlyCollectionPoolSnapshot));
        app.MapGet("/snapshots/{pool}", IResult (string pool, SnapshotPublisher publisher) =>
            publisher.Latest(pool) is { } snapshot
                ? TypedResults.Json(snapshot, CollectorJsonContext.Default.PoolSnapshot)
                : TypedResults.Json(new ProblemReason(404, $"no snapshot for pool '{pool}' (unknown pool, or none published yet)"),
                    CollectorJsonContext.Default.ProblemReason, statusCode: 404));
        return routes;
    }
}
