using System.Collections.Concurrent;
using Grpc.Core;
using InferenceMesh.Contracts;
using InferenceMesh.Grpc.Envoy.Service.ExtProc.V3;
using InferenceMesh.Prefix.Hashing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace InferenceMesh.ExtProc.Tests.Fuzz;

/// <summary>Runs fuzz inputs through the ext_proc request phase in process (one <see cref="ExtProcStream"/> per input,
/// a scheduler double that always places the request) and classifies how each stream ended.</summary>
internal sealed class FuzzDriver : IDisposable
{
    /// <summary>Past this an input counts as a hang (generous: the machine is shared and loaded).</summary>
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private readonly ServiceProvider _services;
    private readonly ExtProcProcessor _processor;

    public FuzzDriver()
    {
        _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var options = Options.Create(new ExtProcOptions
        {
            MaxBodyBytes = FuzzCase.MaxBodyBytes,
            RandomSeed = 1,
            Models =
            [
                new InferenceModelOptions { ModelName = "chat" },
                new InferenceModelOptions { ModelName = "vip", Criticality = Criticality.Critical, TargetModels = [new TargetModelOptions { Name = "vip-lora" }] },
            ],
        });
        var meters = _services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        _processor = new ExtProcProcessor(options, new PlacingScheduler(), new OptionsInferenceModelSource(options),
            new PrefixPromptHasher(Options.Create(new PrefixHashOptions())), new ExtProcMetrics(meters), new ReferenceMetrics(meters),
            TimeProvider.System, NullLogger<ExtProcProcessor>.Instance);
    }

    public ConcurrentDictionary<string, int> Outcomes { get; } = new();

    /// <summary>Runs one input; the outcome name, or a failure description (starting with "FAIL").</summary>
    public string Run(FuzzCase input)
    {
        var writer = new CollectingWriter();
        var reader = new ListReader(input.Messages());
        var stream = new ExtProcStream(_processor, writer, CancellationToken.None);
        string outcome;
        try
        {
            var run = Task.Run(() => stream.RunAsync(reader));
            outcome = !run.Wait(Deadline) ? "FAIL hang" : Classify(writer.Messages);
        }
        catch (AggregateException ex) when (ex.InnerException is RpcException rpc)
        {
            outcome = rpc.StatusCode is StatusCode.Unknown or StatusCode.Internal
                ? $"FAIL grpc {rpc.StatusCode}"
                : $"grpc {rpc.StatusCode} (protocol violation)";
        }
        catch (AggregateException ex)
        {
            // Grpc.AspNetCore would answer UNKNOWN.
            outcome = "FAIL unhandled " + ex.InnerException?.GetType().Name;
        }
        finally
        {
            stream.Dispose();
        }
        Outcomes.AddOrUpdate(outcome, 1, (_, n) => n + 1);
        return outcome;
    }

    private static string Classify(List<ProcessingResponse> answers)
    {
        foreach (var a in answers)
        {
            if (a.ResponseCase == ProcessingResponse.ResponseOneofCase.ImmediateResponse)
            {
                var status = (int)a.ImmediateResponse.Status.Code;
                return status is >= 400 and < 500 ? $"immediate {status}" : $"FAIL immediate {status}";
            }
            var routing = a.ResponseCase switch
            {
                ProcessingResponse.ResponseOneofCase.RequestHeaders => a.RequestHeaders.Response?.HeaderMutation,
                ProcessingResponse.ResponseOneofCase.RequestBody => a.RequestBody.Response?.HeaderMutation,
                _ => null,
            };
            if (routing is not null && EnvoyMessages.HeaderValue(routing, HeaderNames.DestinationEndpoint).Length > 0)
                return "routed";
        }
        return "closed without a decision";
    }

    public void Dispose() => _services.Dispose();

    /// <summary>Places every request and keeps nothing (the recording double would hold every input and blur the memory bound).</summary>
    private sealed class PlacingScheduler : ISchedulingService
    {
        private static readonly ScheduleResponse Placed = FakeSchedulingService.Scheduled("10.0.0.1:8000");

        public ValueTask<ScheduleResponse> ScheduleAsync(ScheduleRequest request, CancellationToken cancellationToken) => ValueTask.FromResult(Placed);

        public ValueTask CompleteAsync(RequestCompletion completion, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }

    /// <summary>The client's side of the stream: the input's messages, then a half-close.</summary>
    private sealed class ListReader(List<ProcessingRequest> messages) : IAsyncStreamReader<ProcessingRequest>
    {
        private int _next = -1;

        public ProcessingRequest Current => messages[_next];

        public Task<bool> MoveNext(CancellationToken cancellationToken) => Task.FromResult(++_next < messages.Count);
    }
}
