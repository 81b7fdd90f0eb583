using InferenceMesh.Contracts;
using InferenceMesh.Dapr;

namespace InferenceMesh.Scheduler;

/// <summary>The prefix index over Dapr invocation of the <c>prefix-index</c> app (<c>/match</c>, <c>/record</c>, <c>/match-and-record</c>).</summary>
internal sealed class DaprPrefixIndexClient(DaprClient client) : IPrefixIndexService
{
    public async ValueTask<PrefixMatchResponse> MatchAsync(PrefixMatchRequest request, CancellationToken cancellationToken) =>
        await client.InvokeMethodAsync(AppIds.PrefixIndex, "match", request,
            ContractsJsonContext.Default.PrefixMatchRequest, ContractsJsonContext.Default.PrefixMatchResponse, cancellationToken).ConfigureAwait(false);

    public async ValueTask RecordAsync(PrefixRecordRequest request, CancellationToken cancellationToken) =>
        await client.InvokeMethodAsync(AppIds.PrefixIndex, "record", request, ContractsJsonContext.Default.PrefixRecordRequest, cancellationToken).ConfigureAwait(false);

    public async ValueTask<PrefixMatchResponse> MatchAndRecordAsync(PrefixMatchAndRecordRequest request, CancellationToken cancellationToken) =>
        await client.InvokeMethodAsync(AppIds.PrefixIndex, "match-and-record", request,
            ContractsJsonContext.Default.PrefixMatchAndRecordRequest, ContractsJsonContext.Default.PrefixMatchResponse, cancellationToken).ConfigureAwait(false);
}
