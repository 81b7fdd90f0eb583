using System.Net;
using System.Net.Http.Json;
using InferenceMesh.Contracts;
using Microsoft.Extensions.Options;

namespace InferenceMesh.ExtProc;

/// <summary><see cref="ISchedulingService"/> over the Dapr sidecar: <c>POST /v1.0/invoke/scheduler/method/schedule</c>;
/// completions go to the fan-out topic (every scheduler replica sees them and frees what it dispatched) or, when
/// configured, to <c>/complete</c> by invocation.</summary>
internal sealed class DaprSchedulingService : ISchedulingService
{
    private readonly HttpClient _http;
    private readonly bool _completeByPubSub;

    public DaprSchedulingService(HttpClient http, IOptions<ExtProcOptions> options)
    {
        _http = http;
        _completeByPubSub = options.Value.CompletionTransport == "pubsub";
    }

    public async ValueTask<ScheduleResponse> ScheduleAsync(ScheduleRequest request, CancellationToken cancellationToken)
    {
        using var response = await _http.PostAsJsonAsync(
            $"/v1.0/invoke/{AppIds.Scheduler}/method/schedule", request, ContractsJsonContext.Default.ScheduleRequest, cancellationToken).ConfigureAwait(false);
        if (response.Content.Headers.ContentLength != 0)
        {
            try
            {
                // The scheduler answers refusals (429/503) with a ScheduleResponse body too.
                var body = await response.Content.ReadFromJsonAsync(ContractsJsonContext.Default.ScheduleResponse, cancellationToken).ConfigureAwait(false);
                if (body is not null && (body.Outcome != ScheduleOutcome.Scheduled || response.IsSuccessStatusCode))
                    return body;
            }
            catch (System.Text.Json.JsonException)
            {
                // Not a ScheduleResponse (a sidecar error body): fall through to the status mapping.
            }
        }
        var outcome = response.StatusCode switch
        {
            HttpStatusCode.BadRequest => ScheduleOutcome.BadRequest,
            HttpStatusCode.TooManyRequests => ScheduleOutcome.QueueFull,
            _ => ScheduleOutcome.NoCandidates,
        };
        var reason = $"scheduler returned HTTP {(int)response.StatusCode}";
        return new ScheduleResponse(outcome, null, [], (int)response.StatusCode is >= 400 and < 600 ? (int)response.StatusCode : 503, reason, "", 0);
    }

    public async ValueTask CompleteAsync(RequestCompletion completion, CancellationToken cancellationToken)
    {
        var path = _completeByPubSub
            ? $"/v1.0/publish/{DaprNames.FanOutPubSub}/{DaprNames.CompletionsTopic}"
            : $"/v1.0/invoke/{AppIds.Scheduler}/method/complete";
        using var response = await _http.PostAsJsonAsync(path, completion, ContractsJsonContext.Default.RequestCompletion, cancellationToken).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
    }
}
