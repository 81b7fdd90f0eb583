using System.Buffers;
using System.IO.Pipelines;
using Google.Protobuf;
using Grpc.Core;
using InferenceMesh.Grpc.Envoy.Service.ExtProc.V3;

namespace InferenceMesh.Gateway;

/// <summary>Steps of an ext_proc stream shared by the gateway's filters; a protocol breach is an INTERNAL
/// <see cref="RpcException"/> naming <c>peer</c> ("ext_proc", "body router").</summary>
internal static class ExtProcCalls
{
    /// <summary>The next answer; the stream ending before the request was answered is a breach.</summary>
    public static async Task<ProcessingResponse> NextAsync(IAsyncStreamReader<ProcessingResponse> reader, string peer, CancellationToken ct) =>
        await reader.MoveNext(ct).ConfigureAwait(false)
            ? reader.Current
            : throw new RpcException(new Status(StatusCode.Internal, peer + " stream ended before the request was answered"));

    public static void Expect(ProcessingResponse response, ProcessingResponse.ResponseOneofCase expected, string peer)
    {
        if (response.ResponseCase != expected)
            throw new RpcException(new Status(StatusCode.Internal, $"{peer} answered {response.ResponseCase} where {expected} was expected"));
    }

    /// <summary>The chunk a FULL_DUPLEX_STREAMED body answer carries; an answer without one is a breach.</summary>
    public static StreamedBodyResponse Streamed(BodyResponse? body, string peer) =>
        body?.Response?.BodyMutation?.StreamedResponse
            ?? throw new RpcException(new Status(StatusCode.Internal, peer + " sent a body answer without streamed_response"));

    /// <summary>After the last answer the peer must end the stream, not send more.</summary>
    public static async Task DrainAsync(IAsyncStreamReader<ProcessingResponse> reader, string peer, CancellationToken ct)
    {
        if (await reader.MoveNext(ct).ConfigureAwait(false))
            throw new RpcException(new Status(StatusCode.Internal, $"unexpected {peer} message {reader.Current.ResponseCase}"));
    }

    /// <summary>Sends a body to ext_proc in chunks of at most <paramref name="maxChunk"/> bytes as it arrives; the last
    /// chunk carries end_of_stream.</summary>
    public static async Task PumpBodyAsync(PipeReader reader, IClientStreamWriter<ProcessingRequest> writer, bool isRequest, int maxChunk, CancellationToken ct)
    {
        while (true)
        {
            var result = await reader.ReadAsync(ct).ConfigureAwait(false);
            var buffer = result.Buffer;
            while (buffer.Length > maxChunk || (buffer.Length > 0 && !result.IsCompleted))
            {
                var take = Math.Min(buffer.Length, maxChunk);
                var chunk = buffer.Slice(0, take);
                await writer.WriteAsync(GatewayMessages.Body(isRequest, UnsafeByteOperations.UnsafeWrap(chunk.ToArray()), false), ct).ConfigureAwait(false);
                buffer = buffer.Slice(take);
            }
            if (result.IsCompleted)
            {
                await writer.WriteAsync(GatewayMessages.Body(isRequest, UnsafeByteOperations.UnsafeWrap(buffer.ToArray()), true), ct).ConfigureAwait(false);
                reader.AdvanceTo(buffer.End);
                await reader.CompleteAsync().ConfigureAwait(false);
                return;
            }
            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }
}
