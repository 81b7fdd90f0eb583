using System.Text.Json;
using InferenceMesh.Contracts;
using InferenceMesh.Dapr;
using InferenceMesh.Scheduling;

namespace InferenceMesh.Scheduler;

/// <summary>The scheduler's HTTP API (called through Dapr invocation) and its pub/sub handlers.</summary>
internal static class SchedulerApi
{
    public const string MetricsRoute = "/events/endpoint-metrics";
    public const string CompletionsRoute = "/events/request-completions";
    public const string DispatchesRoute = "/events/scheduler-dispatches";

    public static void Map(IEndpointRouteBuilder app)
    {
        // Resolved on first use, so bad options fail in ValidateOnStart (naming the key) rather than while mapping.
        var services = app.ServiceProvider;
        var api = app.MapDaprAppGroup();
        api.MapPost("/schedule", (HttpContext context, SchedulingService s) => ScheduleAsync(context, s));
        api.MapPost("/complete", (HttpContext context, SchedulingService s) => CompleteAsync(context, s));
        api.MapGet("/queue", (SchedulingService scheduler) => Results.Json(scheduler.GetQueueStatus(), SchedulerJsonContext.Default.QueueStatus));
        api.MapGet("/pool", (SchedulingService scheduler) => Results.Json(scheduler.GetPoolStatus(), SchedulerJsonContext.Default.IReadOnlyListPoolStatus));

        app.MapSubscription(DaprNames.FanOutPubSub, DaprNames.EndpointMetricsTopic, MetricsRoute, ContractsJsonContext.Default.PoolSnapshot,
            (snapshot, _) => ValueTask.FromResult(services.GetRequiredService<SchedulingService>().ApplySnapshot(snapshot) == SnapshotResult.Invalid ? TopicResult.Drop : TopicResult.Success));
        app.MapSubscription(DaprNames.FanOutPubSub, DaprNames.CompletionsTopic, CompletionsRoute, ContractsJsonContext.Default.RequestCompletion,
            (completion, _) =>
            {
                // Completions of other replicas arrive too (fan-out); they are acknowledged and ignored.
                services.GetRequiredService<SchedulingService>().Complete(completion);
                return ValueTask.FromResult(TopicResult.Success);
            });
        // Other replicas' dispatches count as load here until a snapshot shows them; our own come back too and are ignored.
        app.MapSubscription(DaprNames.FanOutPubSub, DaprNames.DispatchesTopic, DispatchesRoute, ContractsJsonContext.Default.RoutingDecision,
            (decision, _) =>
            {
                services.GetRequiredService<SchedulingService>().ApplyRemoteDispatch(decision);
                return ValueTask.FromResult(TopicResult.Success);
            });
        app.MapDaprSubscribeHandler();
    }

    /// <summary>Long-polls while the request is queued; the HTTP status is the outcome's (200, 400, 429, 503) and the body always a ScheduleResponse.</summary>
    private static async Task<IResult> ScheduleAsync(HttpContext context, SchedulingService scheduler)
    {
        ScheduleRequest? request;
        try
        {
            request = await JsonSerializer.DeserializeAsync(context.Request.Body, ContractsJsonContext.Default.ScheduleRequest, context.RequestAborted).ConfigureAwait(false);
        }
        catch (JsonException ex)
        {
            return Problem(400, $"body is not a ScheduleRequest: {ex.Message}");
        }
        if (request is null)
            return Problem(400, "body is not a ScheduleRequest: null");
        var response = await scheduler.ScheduleAsync(Normalize(request), context.RequestAborted).ConfigureAwait(false);
        return Results.Json(response, ContractsJsonContext.Default.ScheduleResponse, statusCode: response.StatusCode);
    }

    private static async Task<IResult> CompleteAsync(HttpContext context, SchedulingService scheduler)
    {
        RequestCompletion? completion;
        try
        {
            completion = await JsonSerializer.DeserializeAsync(context.Request.Body, ContractsJsonContext.Default.RequestCompletion, context.RequestAborted).ConfigureAwait(false);
        }
        catch (JsonException ex)
        {
            return Problem(400, $"body is not a RequestCompletion: {ex.Message}");
        }
        if (completion is null || string.IsNullOrEmpty(completion.RequestId))
            return Problem(400, "requestId is required");
        return Results.Json(new CompleteResult(scheduler.Complete(completion)), SchedulerJsonContext.Default.CompleteResult);
    }

    /// <summary>JSON may omit the lists; the core expects them present.</summary>
    private static ScheduleRequest Normalize(ScheduleRequest r) =>
        r.BlockHashes is null || r.Subset is null || r.FairnessId is null
            ? r with { BlockHashes = r.BlockHashes ?? [], Subset = r.Subset ?? [], FairnessId = r.FairnessId ?? HeaderNames.DefaultFairnessId }
            : r;

    private static IResult Problem(int status, string reason) =>
        Results.Json(new ProblemReason(status, reason), ContractsJsonContext.Default.ProblemReason, statusCode: status);
}
