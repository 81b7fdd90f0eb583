using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using InferenceMesh.Contracts;
using InferenceMesh.Dapr;
using InferenceMesh.Prefix.Index;

namespace InferenceMesh.PrefixIndex;

/// <summary>HTTP API called through Dapr invocation (app-id <c>prefix-index</c>):
/// <c>POST /match</c>, <c>POST /record</c>, <c>POST /match-and-record</c>, <c>POST /capacity-feedback</c>
/// (<see cref="PrefixIndexMethods.CapacityFeedback"/>), <c>GET /stats</c>, <c>DELETE /endpoints/{endpoint}</c>,
/// <c>PUT /endpoints/{endpoint}/capacity</c>. Bad requests get 400 + <see cref="ProblemReason"/>; the last three answer
/// 503 + reason while the store fails (the lookups answer "no match" instead);
/// with <c>APP_API_TOKEN</c> set, calls without the sidecar's <c>dapr-api-token</c> get 401.</summary>
internal static class PrefixIndexApi
{
    public static void Map(IEndpointRouteBuilder routes)
    {
        // Called through the sidecar: when APP_API_TOKEN is set, only the sidecar (which presents it) gets in.
        var app = routes.MapDaprAppGroup();
        app.MapPost("/match", async (HttpContext context, IPrefixIndexService service) =>
        {
            var (request, problem) = await ReadAsync(context, ContractsJsonContext.Default.PrefixMatchRequest).ConfigureAwait(false);
            return request is null ? problem! : await Guard(async () => Json(await service.MatchAsync(request, context.RequestAborted).ConfigureAwait(false))).ConfigureAwait(false);
        });
        app.MapPost("/match-and-record", async (HttpContext context, IPrefixIndexService service) =>
        {
            var (request, problem) = await ReadAsync(context, ContractsJsonContext.Default.PrefixMatchAndRecordRequest).ConfigureAwait(false);
            return request is null ? problem! : await Guard(async () => Json(await service.MatchAndRecordAsync(request, context.RequestAborted).ConfigureAwait(false))).ConfigureAwait(false);
        });
        app.MapPost("/record", async (HttpContext context, IPrefixIndexService service) =>
        {
            var (request, problem) = await ReadAsync(context, ContractsJsonContext.Default.PrefixRecordRequest).ConfigureAwait(false);
            return request is null ? problem! : await Guard(async () =>
            {
                await service.RecordAsync(request, context.RequestAborted).ConfigureAwait(false);
                return Results.NoContent();
            }).ConfigureAwait(false);
        });
        app.MapPost("/" + PrefixIndexMethods.CapacityFeedback, async (HttpContext context, IPrefixCapacityFeedbackService service) =>
        {
            var (feedback, problem) = await ReadAsync(context, ContractsJsonContext.Default.PrefixCapacityFeedback).ConfigureAwait(false);
            return feedback is null ? problem! : await Guard(async () => Results.Json(
                await service.ApplyCapacityFeedbackAsync(feedback, context.RequestAborted).ConfigureAwait(false),
                ContractsJsonContext.Default.PrefixCapacityFeedbackResponse)).ConfigureAwait(false);
        });
        app.MapGet("/stats", (IPrefixIndex index, CancellationToken ct) => StoreGuard(index, async () =>
            Results.Json(await index.StatsAsync(ct).ConfigureAwait(false), PrefixIndexJsonContext.Default.PrefixIndexStats), ct));
        app.MapDelete("/endpoints/{endpoint}", (string endpoint, IPrefixIndex index, CancellationToken ct) => StoreGuard(index, async () =>
            Results.Json(new PurgeResult(endpoint, await index.PurgeEndpointAsync(endpoint, ct).ConfigureAwait(false)), PrefixIndexJsonContext.Default.PurgeResult), ct));
        app.MapPut("/endpoints/{endpoint}/capacity", async (string endpoint, HttpContext context, IPrefixIndex index) =>
        {
            var (request, problem) = await ReadAsync(context, PrefixIndexJsonContext.Default.CapacityRequest).ConfigureAwait(false);
            if (request is null)
                return problem!;
            if (request.Capacity < 1)
                return Problem("'capacity' must be at least 1.");
            return await StoreGuard(index, async () =>
            {
                await index.SetCapacityAsync(endpoint, request.Capacity, context.RequestAborted).ConfigureAwait(false);
                return Results.NoContent();
            }, context.RequestAborted).ConfigureAwait(false);
        });
    }

    private static IResult Json(PrefixMatchResponse response) => Results.Json(response, ContractsJsonContext.Default.PrefixMatchResponse);

    private static async Task<IResult> Guard(Func<Task<IResult>> action)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (PrefixRequestException ex)
        {
            return Problem(ex.Message);
        }
    }

    /// <summary>The administrative routes read or write the store itself (no "no match" to fall back to): a store that
    /// fails answers 503 with the reason, not 500.</summary>
    private static async Task<IResult> StoreGuard(IPrefixIndex index, Func<Task<IResult>> action, CancellationToken cancellationToken)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (Exception ex) when (!(ex is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            return Results.Json(new ProblemReason(StatusCodes.Status503ServiceUnavailable,
                    $"The prefix store ({index.Backend}) is unavailable: {ex.Message}"),
                ContractsJsonContext.Default.ProblemReason, statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }

    private static IResult Problem(string reason)
        => Results.Json(new ProblemReason(StatusCodes.Status400BadRequest, reason), ContractsJsonContext.Default.ProblemReason, statusCode: StatusCodes.Status400BadRequest);

    private static async Task<(T? Value, IResult? Problem)> ReadAsync<T>(HttpContext context, JsonTypeInfo<T> type)
        where T : class
    {
        try
        {
            var value = await JsonSerializer.DeserializeAsync(context.Request.Body, type, context.RequestAborted).ConfigureAwait(false);
            return value is null ? (null, Problem("The body must be a JSON object.")) : (value, null);
        }
        catch (JsonException ex)
        {
            return (null, Problem($"Malformed JSON: {ex.Message}"));
        }
    }
}
