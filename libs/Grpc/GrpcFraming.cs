using System.Buffers;
using System.Buffers.Binary;
using Google.Protobuf;

namespace InferenceMesh.Grpc;

/// <summary>Length-prefixed message framing. HTTP/2 DATA frames are not messages: a message may span frames and a
/// frame may carry several messages, so readers work on the accumulated byte sequence.</summary>
public static class GrpcFraming
{
    /// <summary>Takes one whole message off the front of <paramref name="buffer"/> when it is there.</summary>
    /// <returns>False when more bytes are needed.</returns>
    /// <exception cref="GrpcException">Compressed message (no encoding is negotiated) or a message over the limit.</exception>
    public static bool TryReadMessage(ref ReadOnlySequence<byte> buffer, int maxMessageSize, out ReadOnlySequence<byte> message)
    {
        message = default;
        if (buffer.Length < GrpcProtocol.HeaderSize)
            return false;

        Span<byte> header = stackalloc byte[GrpcProtocol.HeaderSize];
        buffer.Slice(0, GrpcProtocol.HeaderSize).CopyTo(header);
        if (header[0] == 1)
            throw new GrpcException(GrpcStatusCode.Unimplemented, "compressed messages are not supported (no grpc-encoding is accepted)");
        if (header[0] != 0)
            throw new GrpcException(GrpcStatusCode.Internal, "invalid compressed flag in message prefix");
        var length = BinaryPrimitives.ReadUInt32BigEndian(header[1..]);
        if (length > (uint)maxMessageSize)
            throw new GrpcException(GrpcStatusCode.ResourceExhausted, $"message of {length} bytes exceeds the limit of {maxMessageSize} bytes");
        if (buffer.Length < GrpcProtocol.HeaderSize + length)
            return false;

        message = buffer.Slice(GrpcProtocol.HeaderSize, length);
        buffer = buffer.Slice(GrpcProtocol.HeaderSize + length);
        return true;
    }

    /// <summary>Writes the prefix and the serialized message to <paramref name="output"/> (no flush).</summary>
    public static void WriteMessage(IBufferWriter<byte> output, IMessage message)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(message);
        var size = message.CalculateSize();
        var header = output.GetSpan(GrpcProtocol.HeaderSize);
        header[0] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(header[1..], (uint)size);
        output.Advance(GrpcProtocol.HeaderSize);
        if (size > 0)
            message.WriteTo(output);
    }
}
