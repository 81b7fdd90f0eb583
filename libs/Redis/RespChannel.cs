using System.Buffers;
using System.IO.Pipelines;
using System.Net.Security;
using System.Net.Sockets;

namespace InferenceMesh.Redis;

/// <summary>One physical connection: commands are appended to a shared buffer in the same lock that queues their waiter,
/// so the order of waiters is the order on the wire, and one writer task flushes whatever accumulated (pipelining).</summary>
internal sealed class RespChannel : IAsyncDisposable
{
    private readonly Stream _stream;
    private readonly Lock _lock = new();
    private readonly Queue<TaskCompletionSource<RedisValue>> _waiters = new();
    private readonly SemaphoreSlim _writeSignal = new(0, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource<Exception> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ArrayBufferWriter<byte> _pending = new(4096);
    private ArrayBufferWriter<byte> _spare = new(4096);
    private bool _writeScheduled;
    private bool _failed;
    private Task _reader = Task.CompletedTask;
    private Task _writer = Task.CompletedTask;

    private RespChannel(Stream stream) => _stream = stream;

    /// <summary>Completes (with the cause) when the connection is lost or closed.</summary>
    public Task<Exception> Closed => _closed.Task;

    /// <summary>Commands written and not yet answered.</summary>
    public int InFlight
    {
        get
        {
            lock (_lock)
                return _waiters.Count;
        }
    }

    public static async Task<RespChannel> OpenAsync(RedisOptions options, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.ConnectTimeout);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Stream stream;
        try
        {
            await socket.ConnectAsync(options.Host, options.Port, timeout.Token).ConfigureAwait(false);
            stream = new NetworkStream(socket, ownsSocket: true);
            if (options.UseTls)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = ssl;
                await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
                {
                    TargetHost = options.TlsHost ?? options.Host,
                    RemoteCertificateValidationCallback = options.CertificateValidation,
                }, timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            socket.Dispose();
            throw Wrap(ex, options, "connect", cancellationToken);
        }

        var channel = new RespChannel(stream);
        channel.Start();
        try
        {
            await channel.HandshakeAsync(options, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            await channel.DisposeAsync().ConfigureAwait(false);
            throw Wrap(ex, options, "handshake", cancellationToken);
        }
        return channel;
    }

    private static Exception Wrap(Exception ex, RedisOptions options, string stage, CancellationToken cancellationToken)
    {
        if (ex is OperationCanceledException && cancellationToken.IsCancellationRequested)
            return ex;
        if (ex is OperationCanceledException)
            return new RedisConnectionException($"Redis {stage} to {options} timed out after {options.ConnectTimeout.TotalMilliseconds} ms.", ex);
        return new RedisConnectionException($"Redis {stage} to {options} failed: {ex.Message}", ex);
    }

    private async Task HandshakeAsync(RedisOptions options, CancellationToken cancellationToken)
    {
        if (options.Protocol == 3)
        {
            var args = new List<RedisArg>(6) { 3 };
            if (options.Password is not null)
            {
                args.Add("AUTH");
                args.Add(options.User ?? "default");
                args.Add(options.Password);
            }
            if (options.ClientName is not null)
            {
                args.Add("SETNAME");
                args.Add(options.ClientName);
            }
            await ExpectOk(Send("HELLO", args.ToArray()), cancellationToken).ConfigureAwait(false);
        }
        else
        {
            if (options.Password is not null)
            {
                var auth = options.User is null ? Send("AUTH", [options.Password]) : Send("AUTH", [options.User, options.Password]);
                await ExpectOk(auth, cancellationToken).ConfigureAwait(false);
            }
            if (options.ClientName is not null)
                await ExpectOk(Send("CLIENT", ["SETNAME", options.ClientName]), cancellationToken).ConfigureAwait(false);
        }
        if (options.Database != 0)
            await ExpectOk(Send("SELECT", [options.Database]), cancellationToken).ConfigureAwait(false);

        static async Task ExpectOk(Task<RedisValue> reply, CancellationToken ct) => await reply.WaitAsync(ct).ConfigureAwait(false);
    }

    private void Start()
    {
        _reader = Task.Run(ReadLoopAsync);
        _writer = Task.Run(WriteLoopAsync);
    }

    /// <summary>Queues a command; the returned task completes with its reply, faults with <see cref="RedisServerException"/>
    /// on an error reply, or with <see cref="RedisConnectionException"/> if the connection drops first.</summary>
    public Task<RedisValue> Send(string command, ReadOnlySpan<RedisArg> args)
    {
        var waiter = new TaskCompletionSource<RedisValue>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            if (_failed)
                return Task.FromException<RedisValue>(new RedisConnectionException("Redis connection is closed."));
            new RespWriter(_pending).WriteCommand(command, args);
            Enqueue(waiter);
        }
        return waiter.Task;
    }

    /// <summary>Queues an already serialised command (exactly one RESP command).</summary>
    public Task<RedisValue> SendRaw(ReadOnlySpan<byte> command)
    {
        var waiter = new TaskCompletionSource<RedisValue>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            if (_failed)
                return Task.FromException<RedisValue>(new RedisConnectionException("Redis connection is closed."));
            _pending.Write(command);
            Enqueue(waiter);
        }
        return waiter.Task;
    }

    private void Enqueue(TaskCompletionSource<RedisValue> waiter)
    {
        _waiters.Enqueue(waiter);
        if (!_writeScheduled)
        {
            _writeScheduled = true;
            _writeSignal.Release();
        }
    }

    private async Task WriteLoopAsync()
    {
        try
        {
            while (true)
            {
                await _writeSignal.WaitAsync(_stop.Token).ConfigureAwait(false);
                ArrayBufferWriter<byte> batch;
                lock (_lock)
                {
                    batch = _pending;
                    _pending = _spare;
                    _writeScheduled = false;
                }
                await _stream.WriteAsync(batch.WrittenMemory, _stop.Token).ConfigureAwait(false);
                await _stream.FlushAsync(_stop.Token).ConfigureAwait(false);
                batch.ResetWrittenCount();
                lock (_lock)
                    _spare = batch;
            }
        }
        catch (Exception ex)
        {
            Fail(ex);
        }
    }

    private async Task ReadLoopAsync()
    {
        var reader = PipeReader.Create(_stream, new StreamPipeReaderOptions(bufferSize: 65536, minimumReadSize: 4096));
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(_stop.Token).ConfigureAwait(false);
                var buffer = result.Buffer;
                var consumed = Dispatch(buffer);
                reader.AdvanceTo(consumed, buffer.End);
                if (result.IsCompleted)
                {
                    Fail(new EndOfStreamException("Redis closed the connection."));
                    return;
                }
            }
        }
        catch (Exception ex)
        {
            Fail(ex);
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    private SequencePosition Dispatch(ReadOnlySequence<byte> buffer)
    {
        var sequence = new SequenceReader<byte>(buffer);
        while (true)
        {
            var attempt = sequence;
            if (!RespParser.TryRead(ref attempt, out var reply))
                return sequence.Position;
            sequence = attempt;
            if (reply.Type == RespType.Push)
                continue; // out-of-band (RESP3 invalidations, pub/sub): no waiter of ours
            TaskCompletionSource<RedisValue>? waiter;
            lock (_lock)
                _waiters.TryDequeue(out waiter);
            if (waiter is null)
                throw new InvalidDataException("Redis sent a reply nobody asked for; the stream is out of sync.");
            // A waiter that timed out or was cancelled still owns its slot: its reply is consumed here and dropped.
            if (reply.Type == RespType.Error)
                waiter.TrySetException(new RedisServerException(reply.AsString() ?? "ERR"));
            else
                waiter.TrySetResult(reply);
        }
    }

    private void Fail(Exception cause)
    {
        TaskCompletionSource<RedisValue>[] orphans;
        lock (_lock)
        {
            if (_failed)
                return;
            _failed = true;
            orphans = _waiters.ToArray();
            _waiters.Clear();
        }
        var error = cause is ObjectDisposedException or OperationCanceledException && _stop.IsCancellationRequested
            ? new RedisConnectionException("Redis connection was closed.", cause)
            : new RedisConnectionException($"Redis connection lost: {cause.Message}", cause);
        foreach (var waiter in orphans)
            waiter.TrySetException(error);
        _stop.Cancel();
        _stream.Dispose();
        _closed.TrySetResult(error);
    }

    public async ValueTask DisposeAsync()
    {
        Fail(new ObjectDisposedException(nameof(RespChannel)));
        try
        {
            await Task.WhenAll(_reader, _writer).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Loops report through Fail; nothing left to observe.
        }
        _stop.Dispose();
        _writeSignal.Dispose();
    }
}
