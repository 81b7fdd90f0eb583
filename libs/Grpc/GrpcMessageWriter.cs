using System.IO.Pipelines;
using Google.Protobuf;

namespace InferenceMesh.Grpc;

/// <summary>Writes length-prefixed messages of one type to a body, flushing each so a streaming peer sees it at once.
/// Not thread-safe: one writer loop per call.</summary>
public sealed class GrpcMessageWriter<T>
    where T : class, IMessage<T>
{
    private readonly PipeWriter _writer;
    private readonly Func<CancellationToken, ValueTask>? _beforeFirstWrite;
    private bool _started;

    public GrpcMessageWriter(PipeWriter writer)
        : this(writer, null)
    {
    }

    internal GrpcMessageWriter(PipeWriter writer, Func<CancellationToken, ValueTask>? beforeFirstWrite)
    {
        _writer = writer;
        _beforeFirstWrite = beforeFirstWrite;
    }

    /// <summary>Messages written so far.</summary>
    public long Count { get; private set; }

    /// <summary>Writes and flushes one message.</summary>
    public async ValueTask WriteAsync(T message, CancellationToken cancellationToken)
    {
        if (!_started)
        {
            _started = true;
            if (_beforeFirstWrite is not null)
                await _beforeFirstWrite(cancellationToken).ConfigureAwait(false);
        }
        GrpcFraming.WriteMessage(_writer, message);
        Count++;
        var flush = await _writer.FlushAsync(cancellationToken).ConfigureAwait(false);
        if (flush.IsCanceled)
            throw new OperationCanceledException("write cancelled");
    }
}
