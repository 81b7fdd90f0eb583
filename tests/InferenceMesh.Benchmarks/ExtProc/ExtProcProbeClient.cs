using System.Collections.Frozen;
using System.Diagnostics;
using System.Globalization;
using Google.Protobuf;
using InferenceMesh.Contracts;
using Grpc.Core;
using Grpc.Net.Client;
using InferenceMesh.Grpc;
using InferenceMesh.Grpc.Envoy.Config.Core.V3;
using InferenceMesh.Grpc.Envoy.Extensions.Filters.Http.ExtProc.V3;
using InferenceMesh.Grpc.Envoy.Service.ExtProc.V3;

namespace InferenceMesh.Benchmarks.ExtProc;

/// <summary>Plays Envoy's ext_proc filter against one <see cref="ExtProcProbeTarget"/>: each decision is a new stream
/// (as Envoy opens one per HTTP request), FULL_DUPLEX_STREAMED, with a unique <c>x-request-id</c> so the scheduler's
/// in-flight accounting sees distinct requests.</summary>
internal sealed class ExtProcProbeClient : IDisposable
{
    private static readonly TimeSpan DecisionTimeout = TimeSpan.FromSeconds(60);

    private readonly GrpcChannel _channel;
    private readonly ExternalProcessor.ExternalProcessorClient _client;
    private readonly ExtProcProbeTarget _target;
    private readonly FrozenSet<string> _endpoints;
    private long _requestIds;

    public ExtProcProbeClient(ExtProcProbeTarget target)
    {
        _target = target;
        _channel = H2cChannel.Create(target.Address);
        _client = new ExternalProcessor.ExternalProcessorClient(_channel);
        _endpoints = target.Endpoints.ToFrozenSet(StringComparer.Ordinal);
    }

    /// <summary>Runs <paramref name="decisions"/> decisions on <paramref name="streams"/> streams kept busy at once.
    /// Allocation is the whole process's (client, server and whatever else runs) over the row, per decision:
    /// <see cref="GC.GetTotalAllocatedBytes(bool)"/> deltas, because a per-thread count misses async continuations.</summary>
    public async Task<RowMeasurement> MeasureAsync(ProcessingRequest[] body, int bodyBytes, int streams, int decisions)
    {
        var state = new RowState(decisions);
        var workers = new Task[streams];
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < workers.Length; i++)
            workers[i] = Task.Run(() => WorkAsync(state, body, bodyBytes));
        await Task.WhenAll(workers).ConfigureAwait(false);
        var elapsed = Stopwatch.GetElapsedTime(started);
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        var samples = state.Samples.AsSpan(0, state.Recorded);
        samples.Sort();
        return new RowMeasurement(
            state.Recorded,
            state.Errors,
            samples.IsEmpty ? double.NaN : Percentile.Of(samples, 0.50),
            samples.IsEmpty ? double.NaN : Percentile.Of(samples, 0.99),
            state.Recorded / elapsed.TotalSeconds,
            decisions > 0 ? (double)allocated / decisions : double.NaN,
            state.FirstError);
    }

    private async Task WorkAsync(RowState state, ProcessingRequest[] body, int bodyBytes)
    {
        while (Interlocked.Decrement(ref state.Remaining) >= 0)
        {
            try
            {
                var micros = await DecideAsync(body, bodyBytes).ConfigureAwait(false);
                state.Samples[Interlocked.Increment(ref state.Recorded) - 1] = micros;
            }
            catch (Exception ex) when (ex is RpcException or HttpRequestException or IOException or InvalidOperationException or OperationCanceledException)
            {
                Interlocked.Increment(ref state.Errors);
                Interlocked.CompareExchange(ref state.FirstError, ex.Message, null);
            }
        }
    }

    /// <summary>One decision; returns µs from writing the end_of_stream chunk to reading the headers answer.</summary>
    private async Task<double> DecideAsync(ProcessingRequest[] body, int bodyBytes)
    {
        using var timeout = new CancellationTokenSource(DecisionTimeout);
        var ct = timeout.Token;
        using var call = _client.Process(deadline: DateTime.UtcNow + DecisionTimeout, cancellationToken: ct);
        var requests = call.RequestStream;
        var responses = call.ResponseStream;
        await requests.WriteAsync(HeadersMessage(Interlocked.Increment(ref _requestIds), bodyBytes), ct).ConfigureAwait(false);
        for (var i = 0; i < body.Length - 1; i++)
            await requests.WriteAsync(body[i], ct).ConfigureAwait(false);
        var start = Stopwatch.GetTimestamp();
        await requests.WriteAsync(body[^1], ct).ConfigureAwait(false);
        var first = await responses.MoveNext(ct).ConfigureAwait(false) ? responses.Current : null;
        var micros = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        Check(first);
        while (await responses.MoveNext(ct).ConfigureAwait(false))
        {
            if (responses.Current.RequestBody?.Response?.BodyMutation?.StreamedResponse?.EndOfStream == true)
                break;
        }
        await requests.CompleteAsync().ConfigureAwait(false);
        while (await responses.MoveNext(ct).ConfigureAwait(false))
        {
        }
        return micros;
    }

    /// <summary>The answer must be the headers response naming an endpoint the target may pick.</summary>
    private void Check(ProcessingResponse? first)
    {
        if (first is null)
            throw new InvalidOperationException("the stream ended without a decision");
        if (first.ResponseCase == ProcessingResponse.ResponseOneofCase.ImmediateResponse)
            throw new InvalidOperationException($"immediate response {first.ImmediateResponse.Status?.Code}: {first.ImmediateResponse.Body.ToStringUtf8()}");
        if (first.ResponseCase != ProcessingResponse.ResponseOneofCase.RequestHeaders)
            throw new InvalidOperationException("unexpected first answer " + first.ResponseCase);
        if (first.RequestHeaders.Response?.HeaderMutation is { } mutation)
        {
            foreach (var h in mutation.SetHeaders)
            {
                if (h.Header.Key != HeaderNames.DestinationEndpoint)
                    continue;
                var endpoint = h.Header.RawValue.IsEmpty ? h.Header.Value : h.Header.RawValue.ToStringUtf8();
                if (!_endpoints.Contains(endpoint))
                    throw new InvalidOperationException($"destination '{endpoint}' is not in the pool");
                return;
            }
        }
        throw new InvalidOperationException($"the headers answer carries no {HeaderNames.DestinationEndpoint}");
    }

    /// <summary>The request_headers message of decision <paramref name="id"/> (a unique <c>x-request-id</c>).</summary>
    public static ProcessingRequest HeadersMessage(long id, int bodyBytes)
    {
        var map = new HeaderMap();
        Add(map, ":method", "POST");
        Add(map, ":path", "/v1/completions");
        Add(map, ":authority", "gw");
        Add(map, "content-type", "application/json");
        Add(map, "content-length", bodyBytes.ToString(CultureInfo.InvariantCulture));
        Add(map, "x-request-id", "probe-" + id.ToString(CultureInfo.InvariantCulture));
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

    private static void Add(HeaderMap map, string key, string value) =>
        map.Headers.Add(new HeaderValue { Key = key, RawValue = ByteString.CopyFromUtf8(value) });

    /// <summary>The request body as Envoy forwards it: <paramref name="chunkBytes"/>-sized messages, the last with end_of_stream.</summary>
    public static ProcessingRequest[] BodyChunks(byte[] body, int chunkBytes)
    {
        var list = new List<ProcessingRequest>();
        for (var i = 0; i < body.Length; i += chunkBytes)
        {
            var n = Math.Min(chunkBytes, body.Length - i);
            list.Add(new ProcessingRequest { RequestBody = new HttpBody { Body = ByteString.CopyFrom(body, i, n), EndOfStream = i + n >= body.Length } });
        }
        return [.. list];
    }

    public void Dispose() => _channel.Dispose();

    /// <summary>Shared by a row's workers; fields so they can be updated with Interlocked.</summary>
    private sealed class RowState(int decisions)
    {
        public readonly double[] Samples = new double[decisions];
        public int Remaining = decisions;
        public int Recorded;
        public int Errors;
        public string? FirstError;
    }
}
