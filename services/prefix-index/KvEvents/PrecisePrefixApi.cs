using System.Text.Json;
using InferenceMesh.Contracts;
using InferenceMesh.Dapr;
using InferenceMesh.Prefix.Index;

namespace InferenceMesh.PrefixIndex.KvEvents;

/// <summary><c>POST /match-precise</c> and <c>POST /match-precise-and-record</c>: the bodies and answers of
/// <c>/match</c> and <c>/match-and-record</c>, scored by <see cref="PrecisePrefixMatcher"/> (the approximate match alone
/// with a backend other than redis, which keeps no exact sets).</summary>
internal static class PrecisePrefixApi
{
    public static void Map(IEndpointRouteBuilder routes)
    {
        var app = routes.MapGroup("").RequireDaprAppToken(routes.ServiceProvider);
        app.MapPost("/" + PrefixIndexMethods.MatchPrecise, async (HttpContext context, PrecisePrefixMatcher matcher) =>
        {
            var request = await ReadAsync(context, ContractsJsonContext.Default.PrefixMatchRequest).ConfigureAwait(false);
            return request is null ? Problem("The body must be a PrefixMatchRequest JSON object.")
                : await Guard(async () => await matcher.MatchAsync(request, context.RequestAborted).ConfigureAwait(false)).ConfigureAwait(false);
        });
        app.MapPost("/" + PrefixIndexMethods.MatchPreciseAndRecord, async (HttpContext context, PrecisePrefixMatcher matcher) =>
        {
            var request = await ReadAsync(context, ContractsJsonContext.Default.PrefixMatchAndRecordRequest).ConfigureAwait(false);
            return request is null ? Problem("The body must be a PrefixMatchAndRecordRequest JSON object.")
                : await Guard(async () => await matcher.MatchAndRecordAsync(request, context.RequestAborted).ConfigureAwait(false)).ConfigureAwait(false);
        });
    }

    private static async Task<IResult> Guard(Func<Task<PrefixMatchResponse>> action)
    {
        try
        {
            return Results.Json(await action().ConfigureAwait(false), ContractsJsonContext.Default.PrefixMatchResponse);
        }
        catch (PrefixRequestException ex)
        {
            return Problem(ex.Message);
        }
    }

    private static IResult Problem(string reason) =>
        Results.Json(new ProblemReason(StatusCodes.Status400BadRequest, reason), ContractsJsonContext.Default.ProblemReason, statusCode: StatusCodes.Status400BadRequest);

    private static async Task<T?> ReadAsync<T>(HttpContext context, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
        where T : class
    {
        try
        {
            return await JsonSerializer.DeserializeAsync(context.Request.Body, type, context.RequestAborted).ConfigureAwait(false);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
