using Google.Protobuf;
using Grpc.Core;
using InferenceMesh.Grpc.Envoy.Service.ExtProc.V3;

namespace InferenceMesh.ExtProc;

/// <summary>Sends a routing decision the way the body mode requires. FULL_DUPLEX_STREAMED (and a request without a
/// body): the request_headers answer with the destination header and <c>envoy.lb</c> metadata, then the body
/// re-streamed in chunks of at most <c>ChunkBytes</c>. STREAMED / BUFFERED: the decision rides on the body answer.</summary>
internal static class DecisionAnswer
{
    /// <summary>The request_headers answer: destination header (+ generated request id, + content-length when the body
    /// is known), clear_route_cache, and the same destination in <c>envoy.lb</c> dynamic metadata.</summary>
    public static ProcessingResponse HeadersAnswer(string destination, string? generatedRequestId, long? contentLength) => new()
    {
        RequestHeaders = new HeadersResponse { Response = ExtProcResponses.Routing(destination, generatedRequestId, contentLength) },
        DynamicMetadata = ExtProcResponses.LbMetadata(destination),
    };

    /// <summary>The request_body answer carrying the decision; the body is replaced when <paramref name="replacement"/> is set
    /// (rewritten model, or chunks held back in STREAMED mode).</summary>
    public static ProcessingResponse BodyAnswer(string destination, string? generatedRequestId, long? contentLength, ReadOnlyMemory<byte>? replacement)
    {
        var routing = ExtProcResponses.Routing(destination, generatedRequestId, contentLength);
        if (replacement is { } body)
            routing.BodyMutation = new BodyMutation { Body = UnsafeByteOperations.UnsafeWrap(body) };
        return new ProcessingResponse
        {
            RequestBody = new BodyResponse { Response = routing },
            DynamicMetadata = ExtProcResponses.LbMetadata(destination),
        };
    }

    /// <summary>The body as streamed_response chunks of at most <paramref name="chunkBytes"/>; an empty body is one empty chunk.</summary>
    /// <param name="trailersFollow">Request trailers come after the body, so the last chunk does not end the stream.</param>
    public static async ValueTask RestreamAsync(
        IAsyncStreamWriter<ProcessingResponse> writer, ReadOnlyMemory<byte> body, int chunkBytes, bool trailersFollow, CancellationToken cancellationToken)
    {
        if (body.IsEmpty)
        {
            await writer.WriteAsync(ExtProcResponses.StreamedChunk(true, ByteString.Empty, !trailersFollow), cancellationToken).ConfigureAwait(false);
            return;
        }
        for (var offset = 0; offset < body.Length; offset += chunkBytes)
        {
            var size = Math.Min(chunkBytes, body.Length - offset);
            var last = offset + size >= body.Length;
            // The buffer outlives the write (the message is serialized before WriteAsync completes), so wrapping is safe.
            var bytes = UnsafeByteOperations.UnsafeWrap(body.Slice(offset, size));
            await writer.WriteAsync(ExtProcResponses.StreamedChunk(true, bytes, last && !trailersFollow), cancellationToken).ConfigureAwait(false);
        }
    }
}
