using System.Buffers;
using System.IO.Pipelines;
using Google.Protobuf;

namespace InferenceMesh.Grpc;

/// <summary>Reads length-prefixed messages of one type from a request or response body.</summary>
public sealed class GrpcMessageReader<T>
    where T : class, IMessage<T>
{
    private readonly PipeReader _reader;
    private readonly MessageParser<T> _parser;
    private readonly int _maxMessageSize;

    public GrpcMessageReader(PipeReader reader, MessageParser<T> parser, int maxMessageSize = GrpcProtocol.DefaultMaxMessageSize)
    {
        _reader = reader;
        _parser = parser;
        _maxMessageSize = maxMessageSize;
    }

    /// <summary>The next message, or null at the clean end of the stream.</summary>
    /// <exception cref="GrpcException">A truncated message, a compressed one, or one over the size limit.</exception>
    public async ValueTask<T?> ReadAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await _reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            if (result.IsCanceled)
                throw new OperationCanceledException("read cancelled");
            try
            {
                if (GrpcFraming.TryReadMessage(ref buffer, _maxMessageSize, out var payload))
                {
                    var message = _parser.ParseFrom(payload);
                    _reader.AdvanceTo(buffer.Start);
                    return message;
                }
            }
            catch (InvalidProtocolBufferException ex)
            {
                _reader.AdvanceTo(buffer.Start, buffer.End);
                throw new GrpcException(GrpcStatusCode.Internal, "malformed message: " + ex.Message);
            }
            catch
            {
                _reader.AdvanceTo(buffer.Start, buffer.End);
                throw;
            }

            if (result.IsCompleted)
            {
                var leftover = buffer.Length;
                _reader.AdvanceTo(buffer.End);
                if (leftover != 0)
                    throw new GrpcException(GrpcStatusCode.Internal, $"stream ended inside a message ({leftover} bytes left)");
                return null;
            }
            _reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }
}
