using System.Threading.Channels;
using InferenceMesh.Contracts;
using InferenceMesh.Dapr;
using InferenceMesh.Scheduling;
using Microsoft.Extensions.Options;

namespace InferenceMesh.Scheduler;

/// <summary>Publishes routing decisions to <c>routing-decisions</c> off the schedule path: the pick returns at once and a few
/// background publishers drain a bounded buffer (oldest dropped, and counted in the log, if the broker falls behind).
/// With <see cref="InFlightSharingOptions.Enabled"/> each decision also goes, without its block hashes (its placement
/// sample, at most 17 hashes for a 256-block prompt, stays), to the fan-out topic <c>scheduler-dispatches</c>, where the
/// other scheduler replicas count it and record its placement (docs/scheduler.md, "Several replicas").</summary>
internal sealed partial class DecisionPublisher(IEventPublisher events, IOptions<InFlightSharingOptions> sharing, ILogger<DecisionPublisher> logger)
    : BackgroundService, IRoutingDecisionPublisher
{
    private readonly bool _share = sharing.Value.Enabled;

    private const int Publishers = 4;
    private readonly Channel<RoutingDecision> _buffer = Channel.CreateBounded<RoutingDecision>(
        new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.DropOldest, SingleWriter = false });

    public ValueTask PublishAsync(RoutingDecision decision, CancellationToken cancellationToken)
    {
        if (!_buffer.Writer.TryWrite(decision))
            LogDropped(decision.RequestId);
        return ValueTask.CompletedTask;
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var pumps = new Task[Publishers];
        for (var i = 0; i < pumps.Length; i++)
            pumps[i] = PumpAsync(stoppingToken);
        return Task.WhenAll(pumps);
    }

    private async Task PumpAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var decision in _buffer.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
            {
                try
                {
                    var recorded = events.PublishAsync(DaprNames.PubSub, DaprNames.RoutingDecisionsTopic, decision, ContractsJsonContext.Default.RoutingDecision, stoppingToken);
                    if (_share)
                    {
                        await events.PublishAsync(DaprNames.FanOutPubSub, DaprNames.DispatchesTopic, decision with { BlockHashes = [] },
                            ContractsJsonContext.Default.RoutingDecision, stoppingToken).ConfigureAwait(false);
                    }
                    await recorded.ConfigureAwait(false);
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    LogPublishFailed(ex, decision.RequestId);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: decisions still buffered are lost, like any in-flight publish.
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Routing decision of request {RequestId} not published")]
    private partial void LogPublishFailed(Exception exception, string requestId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Routing decision buffer full; request {RequestId} written over the oldest")]
    private partial void LogDropped(string requestId);
}
