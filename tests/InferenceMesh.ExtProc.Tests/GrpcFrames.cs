using System.Buffers.Binary;
using Google.Protobuf;

namespace InferenceMesh.ExtProc.Tests;

/// <summary>gRPC length-prefixed messages written and read by hand, for the raw HTTP/2 edge-case tests only
/// (1-byte compressed flag, 4-byte big-endian length, the message).</summary>
internal static class GrpcFrames
{
    public static byte[] Frame(IMessage message)
    {
        var payload = message.ToByteArray();
        var frame = new byte[5 + payload.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)payload.Length);
        payload.CopyTo(frame, 5);
        return frame;
    }

    public static List<T> ReadAll<T>(byte[] body, MessageParser<T> parser)
        where T : IMessage<T>
    {
        var result = new List<T>();
        var offset = 0;
        while (offset < body.Length)
        {
            Assert.Equal(0, body[offset]);
            var length = (int)BinaryPrimitives.ReadUInt32BigEndian(body.AsSpan(offset + 1));
            result.Add(parser.ParseFrom(body, offset + 5, length));
            offset += 5 + length;
        }
        return result;
    }
}
