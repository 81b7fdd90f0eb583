using System.Text;
using BenchmarkDotNet.Attributes;
using Google.Protobuf;
using Grpc.Net.Client;
using InferenceMesh.Grpc;
using InferenceMesh.Grpc.Envoy.Config.Core.V3;
using InferenceMesh.Grpc.Envoy.Extensions.Filters.Http.ExtProc.V3;
using InferenceMesh.Grpc.Envoy.Service.ExtProc.V3;
using Microsoft.AspNetCore.Builder;

namespace InferenceMesh.Benchmarks.ExtProc;

/// <summary>ext_proc decision latency over real h2c on loopback, in one process: Envoy's FULL_DUPLEX_STREAMED request
/// phase (headers, body in 16 KB chunks, then the headers answer and the re-streamed body) for N concurrent streams.
/// <c>Server=picker</c> is the real Endpoint Picker (parse, resolve, hash, schedule with an instant scheduler);
/// <c>Server=passthrough</c> answers the same messages without picking, measured in the same run.
/// Time per operation = one decision (OperationsPerInvoke = Streams); decisions/s = Streams / mean of one invoke.</summary>
[MemoryDiagnoser]
[Config(typeof(Percentiles))]
public class ExtProcDecisionBenchmarks
{
    private WebApplication? _app;
    private Uri _address = null!;
    private GrpcChannel _channel = null!;
    private ExternalProcessor.ExternalProcessorClient _client = null!;
    private ProcessingRequest _headers = null!;
    private ProcessingRequest[] _body = [];

    [Params(8 * 1024, 220 * 1024)]
    public int PromptBytes { get; set; }

    [Params(1, 50, 150)]
    public int Streams { get; set; }

    [Params("picker", "passthrough")]
    public string Server { get; set; } = "picker";

    [GlobalSetup]
    public void Setup()
    {
        (_app, _address) = (Server == "picker" ? ExtProcBenchHosts.StartPickerAsync() : ExtProcBenchHosts.StartPassThroughAsync()).GetAwaiter().GetResult();
        _channel = H2cChannel.Create(_address);
        _client = new ExternalProcessor.ExternalProcessorClient(_channel);
        _headers = Headers();
        _body = ExtProcProbeClient.BodyChunks(Prompt(PromptBytes), 16 * 1024);
        Decide().GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _channel.Dispose();
        if (_app is not null)
        {
            _app.StopAsync().GetAwaiter().GetResult();
            _app.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    [Benchmark(OperationsPerInvoke = 150)]
    public async Task Decisions()
    {
        // OperationsPerInvoke must be a constant: run 150 decisions as ceil(150 / Streams) waves of Streams concurrent ones.
        var waves = (150 + Streams - 1) / Streams;
        var tasks = new Task[Streams];
        for (var w = 0; w < waves; w++)
        {
            for (var i = 0; i < Streams; i++)
                tasks[i] = Decide();
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
    }

    private async Task Decide()
    {
        using var call = _client.Process();
        await call.RequestStream.WriteAsync(_headers).ConfigureAwait(false);
        foreach (var chunk in _body)
            await call.RequestStream.WriteAsync(chunk).ConfigureAwait(false);
        var responses = call.ResponseStream;
        if (!await responses.MoveNext(CancellationToken.None).ConfigureAwait(false) || responses.Current.ResponseCase != ProcessingResponse.ResponseOneofCase.RequestHeaders)
            throw new InvalidOperationException("unexpected first answer");
        while (await responses.MoveNext(CancellationToken.None).ConfigureAwait(false))
        {
            if (responses.Current.RequestBody?.Response?.BodyMutation?.StreamedResponse?.EndOfStream == true)
                break;
        }
        await call.RequestStream.CompleteAsync().ConfigureAwait(false);
        while (await responses.MoveNext(CancellationToken.None).ConfigureAwait(false))
        {
        }
    }

    private static ProcessingRequest Headers()
    {
        var map = new HeaderMap();
        foreach (var (k, v) in new[] { (":method", "POST"), (":path", "/v1/completions"), (":authority", "gw"), ("content-type", "application/json"), ("x-request-id", "bench") })
            map.Headers.Add(new HeaderValue { Key = k, RawValue = ByteString.CopyFromUtf8(v) });
        return new ProcessingRequest
        {
            RequestHeaders = new HttpHeaders { Headers = map },
            ProtocolConfig = new ProtocolConfiguration
            {
                RequestBodyMode = ProcessingMode.Types.BodySendMode.FullDuplexStreamed,
                ResponseBodyMode = ProcessingMode.Types.BodySendMode.FullDuplexStreamed,
            },
        };
    }

    internal static byte[] Prompt(int bytes)
    {
        var prompt = new StringBuilder(bytes);
        for (var i = 0; prompt.Length < bytes; i++)
            prompt.Append("token").Append(i % 1000).Append(' ');
        return Encoding.UTF8.GetBytes($$"""{"model":"qwen","prompt":"{{prompt.ToString(0, bytes)}}","max_tokens":64}""");
    }


    private sealed class Percentiles : BenchmarkDotNet.Configs.ManualConfig
    {
        public Percentiles() => AddColumn(BenchmarkDotNet.Columns.StatisticColumn.P50, BenchmarkDotNet.Columns.StatisticColumn.P95, BenchmarkDotNet.Columns.StatisticColumn.OperationsPerSecond);
    }
}
