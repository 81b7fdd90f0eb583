using System.Net;
using System.Text.Json;
using InferenceMesh.Contracts;
using InferenceMesh.Dapr;
using Microsoft.Extensions.Options;

namespace InferenceMesh.ExtProc;

/// <summary><see cref="ISchedulingService"/> over Dapr: <c>POST scheduler/schedule</c> by service invocation (Dapr.Client's
/// invocation <see cref="HttpClient"/>); completions go to the fan-out topic (every scheduler replica sees them and frees
/// what it dispatched) or, when configured, to <c>scheduler/complete</c> by invocation.</summary>
internal sealed class DaprSchedulingService : ISchedulingService, IDisposable
{
    private static readonly Uri ScheduleUri = new("schedule", UriKind.Relative);
    private static readonly Uri CompleteUri = new("complete", UriKind.Relative);

    private readonly HttpClient _scheduler;
    private readonly IEventPublisher _publisher;
    private readonly bool _completeByPubSub;

    public DaprSchedulingService(IConfiguration configuration, IEventPublisher publisher, IOptions<ExtProcOptions> options)
    {
        _scheduler = DaprHostingExtensions.CreateInvocationClient(configuration, AppIds.Scheduler);
        _publisher = publisher;
        _completeByPubSub = options.Value.CompletionTransport == "pubsub";
    }

    public async ValueTask<ScheduleResponse> ScheduleAsync(ScheduleRequest request, CancellationToken cancellationToken)
    {
        var payload = JsonSerializer.SerializeToUtf8Bytes(request, ContractsJsonContext.Default.ScheduleRequest);
        HttpResponseMessage response;
        byte[] body;
        for (var attempt = 1; ; attempt++)
        {
            response = await _scheduler.PostJsonAsync(ScheduleUri, payload, cancellationToken).ConfigureAwait(false);
            body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            // The sidecar's own ERR_DIRECT_INVOKE means no scheduler answered (a replica died or refused the connection):
            // invoking again reaches another replica. Safe although /schedule is not idempotent: a replica that died took
            // its in-flight slot with it, and a lost answer only leaves a slot that expires (Scheduler:InFlightExpiryMs).
            if (attempt >= ScheduleAttempts || response.StatusCode != HttpStatusCode.InternalServerError || !IsDirectInvokeError(body))
                break;
            response.Dispose();
        }
        using var _ = response;
        if (body.Length > 0)
        {
            try
            {
                // The scheduler answers refusals (429/503) with a ScheduleResponse body too.
                var parsed = JsonSerializer.Deserialize(body, ContractsJsonContext.Default.ScheduleResponse);
                if (parsed is not null && (parsed.Outcome != ScheduleOutcome.Scheduled || response.IsSuccessStatusCode))
                    return parsed;
            }
            catch (JsonException)
            {
                // A sidecar error or a ProblemReason body: mapped from the status below.
            }
        }
        var status = (int)response.StatusCode;
        var outcome = response.StatusCode switch
        {
            HttpStatusCode.BadRequest => ScheduleOutcome.BadRequest,
            HttpStatusCode.TooManyRequests => ScheduleOutcome.QueueFull,
            _ => ScheduleOutcome.NoCandidates,
        };
        // The body (a sidecar error names addresses) stays out: the reason reaches the client.
        var reason = $"scheduler answered HTTP {status}";
        return new ScheduleResponse(outcome, null, [], status is >= 400 and < 600 ? status : 503, reason, "", 0);
    }

    public async ValueTask CompleteAsync(RequestCompletion completion, CancellationToken cancellationToken)
    {
        if (_completeByPubSub)
        {
            await _publisher.PublishAsync(DaprNames.FanOutPubSub, DaprNames.CompletionsTopic, completion, ContractsJsonContext.Default.RequestCompletion, cancellationToken).ConfigureAwait(false);
            return;
        }
        var json = JsonSerializer.SerializeToUtf8Bytes(completion, ContractsJsonContext.Default.RequestCompletion);
        var response = await _scheduler.PostJsonAsync(CompleteUri, json, cancellationToken).ConfigureAwait(false);
        (await response.EnsureSuccessAsync("scheduler/complete", cancellationToken).ConfigureAwait(false)).Dispose();
    }

    public void Dispose() => _scheduler.Dispose();

    /// <summary>Schedule calls per request when the sidecar reports that no scheduler replica answered.</summary>
    private const int ScheduleAttempts = 3;

    private static bool IsDirectInvokeError(byte[] body) =>
        body.AsSpan().IndexOf("ERR_DIRECT_INVOKE"u8) >= 0;
}
