using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using InferenceMesh.Contracts;
using InferenceMesh.ExtProc;
using InferenceMesh.Grpc;
using InferenceMesh.Grpc.Envoy.Config.Core.V3;
using InferenceMesh.Grpc.Envoy.Service.ExtProc.V3;
using InferenceMesh.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace InferenceMesh.Benchmarks.ExtProc;

/// <summary>The two servers compared: the real picker (with an instant in-process scheduler) and a pass-through
/// ext_proc server that answers the same protocol without parsing, hashing or scheduling. Same transport, same process.</summary>
internal static class ExtProcBenchHosts
{
    public const string ProcessPath = "/envoy.service.ext_proc.v3.ExternalProcessor/Process";
    public const string Endpoint = "10.0.0.1:8000";

    public static async Task<(WebApplication App, Uri Address)> StartPickerAsync()
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ExtProc:ListenAddress"] = "127.0.0.1",
            ["ExtProc:GrpcPort"] = "0",
            ["ExtProc:HttpPort"] = "0",
        });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<ISchedulingService, InstantScheduler>();
        builder.AddServiceDefaults(AppIds.ExtProc);
        builder.AddExtProcCore();
        var app = builder.Build();
        app.MapExtProcApi();
        await app.StartAsync().ConfigureAwait(false);
        var port = app.Services.GetRequiredService<ExtProcListeners>().GrpcPort;
        return (app, new Uri($"http://127.0.0.1:{port}"));
    }

    public static async Task<(WebApplication App, Uri Address)> StartPassThroughAsync()
    {
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.ConfigureForGrpc();
            k.Listen(System.Net.IPAddress.Loopback, 0, lo => lo.Protocols = HttpProtocols.Http2);
        });
        var app = builder.Build();
        app.MapGrpcDuplex<ProcessingRequest, ProcessingResponse>(ProcessPath, ProcessingRequest.Parser, PassThroughAsync);
        await app.StartAsync().ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return (app, new Uri(address));
    }

    /// <summary>Buffers to end of stream, then answers the fixed endpoint and re-streams the body: the protocol's floor.</summary>
    private static async Task PassThroughAsync(GrpcMessageReader<ProcessingRequest> reader, GrpcMessageWriter<ProcessingResponse> writer, GrpcCallContext call)
    {
        var chunks = new List<ByteString>();
        while (await reader.ReadAsync(call.CancellationToken).ConfigureAwait(false) is { } m)
        {
            if (m.RequestCase == ProcessingRequest.RequestOneofCase.RequestBody)
            {
                chunks.Add(m.RequestBody.Body);
                if (!m.RequestBody.EndOfStream)
                    continue;
            }
            else if (m.RequestCase != ProcessingRequest.RequestOneofCase.RequestHeaders || !m.RequestHeaders.EndOfStream)
            {
                continue;
            }
            var mutation = new HeaderMutation();
            mutation.SetHeaders.Add(new HeaderValueOption { Header = new HeaderValue { Key = HeaderNames.DestinationEndpoint, RawValue = ByteString.CopyFromUtf8(Endpoint) } });
            var lb = new Struct();
            lb.Fields[HeaderNames.DestinationEndpoint] = Value.ForString(Endpoint);
            var metadata = new Struct();
            metadata.Fields[HeaderNames.EnvoyLbNamespace] = Value.ForStruct(lb);
            await writer.WriteAsync(new ProcessingResponse
            {
                RequestHeaders = new HeadersResponse { Response = new CommonResponse { ClearRouteCache = true, HeaderMutation = mutation } },
                DynamicMetadata = metadata,
            }, call.CancellationToken).ConfigureAwait(false);
            for (var i = 0; i < chunks.Count; i++)
            {
                await writer.WriteAsync(new ProcessingResponse
                {
                    RequestBody = new BodyResponse
                    {
                        Response = new CommonResponse
                        {
                            BodyMutation = new BodyMutation { StreamedResponse = new StreamedBodyResponse { Body = chunks[i], EndOfStream = i == chunks.Count - 1 } },
                        },
                    },
                }, call.CancellationToken).ConfigureAwait(false);
            }
        }
    }

    private sealed class InstantScheduler : ISchedulingService
    {
        private static readonly ScheduleResponse Scheduled = new(ScheduleOutcome.Scheduled, Endpoint, [], 200, null, "bench", 0);

        public ValueTask<ScheduleResponse> ScheduleAsync(ScheduleRequest request, CancellationToken cancellationToken) => ValueTask.FromResult(Scheduled);

        public ValueTask CompleteAsync(RequestCompletion completion, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}
