using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using InferenceMesh.Contracts;
using InferenceMesh.Dapr;

namespace InferenceMesh.Scheduler;

/// <summary>The prefix index over Dapr invocation of the <c>prefix-index</c> app (<c>/match</c>, <c>/record</c>,
/// <c>/match-and-record</c>, <c>/match-precise</c> for PRECISE_PREFIX_CACHE pools, and <c>/capacity-feedback</c>) through Dapr.Client's invocation <see cref="HttpClient"/>. A non-2xx answer throws
/// <see cref="HttpRequestException"/> carrying the status.</summary>
internal sealed class DaprPrefixIndexClient(IConfiguration configuration) : IPrefixIndexService, IPrecisePrefixIndexService, IPrefixCapacityFeedbackService, IDisposable
{
    private static readonly Uri MatchUri = new("match", UriKind.Relative);
    private static readonly Uri RecordUri = new("record", UriKind.Relative);
    private static readonly Uri MatchAndRecordUri = new("match-and-record", UriKind.Relative);
    private static readonly Uri MatchPreciseUri = new(PrefixIndexMethods.MatchPrecise, UriKind.Relative);
    private static readonly Uri CapacityFeedbackUri = new(PrefixIndexMethods.CapacityFeedback, UriKind.Relative);

    private readonly HttpClient _http = DaprHostingExtensions.CreateInvocationClient(configuration, AppIds.PrefixIndex);

    public async ValueTask<PrefixMatchResponse> MatchAsync(PrefixMatchRequest request, CancellationToken cancellationToken) =>
        await CallAsync(MatchUri, request, ContractsJsonContext.Default.PrefixMatchRequest, ContractsJsonContext.Default.PrefixMatchResponse, cancellationToken).ConfigureAwait(false);

    public async ValueTask RecordAsync(PrefixRecordRequest request, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(RecordUri, request, ContractsJsonContext.Default.PrefixRecordRequest, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<PrefixMatchResponse> MatchAndRecordAsync(PrefixMatchAndRecordRequest request, CancellationToken cancellationToken) =>
        await CallAsync(MatchAndRecordUri, request, ContractsJsonContext.Default.PrefixMatchAndRecordRequest, ContractsJsonContext.Default.PrefixMatchResponse, cancellationToken).ConfigureAwait(false);

    public async ValueTask<PrefixMatchResponse> MatchPreciseAsync(PrefixMatchRequest request, CancellationToken cancellationToken) =>
        await CallAsync(MatchPreciseUri, request, ContractsJsonContext.Default.PrefixMatchRequest, ContractsJsonContext.Default.PrefixMatchResponse, cancellationToken).ConfigureAwait(false);

    public async ValueTask<PrefixCapacityFeedbackResponse> ApplyCapacityFeedbackAsync(PrefixCapacityFeedback feedback, CancellationToken cancellationToken) =>
        await CallAsync(CapacityFeedbackUri, feedback, ContractsJsonContext.Default.PrefixCapacityFeedback, ContractsJsonContext.Default.PrefixCapacityFeedbackResponse, cancellationToken).ConfigureAwait(false);

    public void Dispose() => _http.Dispose();

    private async Task<TResponse> CallAsync<TRequest, TResponse>(Uri uri, TRequest request, JsonTypeInfo<TRequest> requestType, JsonTypeInfo<TResponse> responseType, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(uri, request, requestType, cancellationToken).ConfigureAwait(false);
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return JsonSerializer.Deserialize(body, responseType)
                ?? throw new HttpRequestException($"prefix-index/{uri} answered an empty body");
        }
        catch (JsonException ex)
        {
            throw new HttpRequestException($"prefix-index/{uri} answered a body that is not {typeof(TResponse).Name}: {ex.Message}", ex);
        }
    }

    private async Task<HttpResponseMessage> SendAsync<TRequest>(Uri uri, TRequest request, JsonTypeInfo<TRequest> requestType, CancellationToken cancellationToken)
    {
        var response = await _http.PostJsonAsync(uri, JsonSerializer.SerializeToUtf8Bytes(request, requestType), cancellationToken).ConfigureAwait(false);
        return await response.EnsureSuccessAsync($"prefix-index/{uri}", cancellationToken).ConfigureAwait(false);
    }
}
