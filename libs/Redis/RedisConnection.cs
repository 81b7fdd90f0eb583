using System.Buffers;

namespace InferenceMesh.Redis;

/// <summary>One multiplexed, pipelined connection to a Redis endpoint, shared by all callers. Reconnects by itself with
/// backoff; while disconnected, commands fail at once with <see cref="RedisConnectionException"/>.</summary>
public sealed class RedisConnection : IAsyncDisposable
{
    private static readonly KeyValuePair<string, object?> ServerKind = new("kind", "server");
    private static readonly KeyValuePair<string, object?> ConnectionKind = new("kind", "connection");
    private static readonly KeyValuePair<string, object?> TimeoutKind = new("kind", "timeout");

    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly CancellationTokenSource _dispose = new();
    private readonly TaskCompletionSource _firstAttempt = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _stateLock = new();
    private TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile RespChannel? _channel;
    private volatile Exception? _lastError;
    private long _reconnects;
    private Task _loop = Task.CompletedTask;

    private RedisConnection(RedisOptions options, TimeProvider? timeProvider, Random? random)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Protocol is not (2 or 3))
            throw new ArgumentException("Protocol must be 2 or 3.", nameof(options));
        Options = options;
        _time = timeProvider ?? TimeProvider.System;
        // Jitter only spreads reconnect storms across replicas; it never decides correctness.
#pragma warning disable CA5394
        _random = random ?? new Random();
#pragma warning restore CA5394
    }

    /// <summary>The options this connection was created with.</summary>
    public RedisOptions Options { get; }

    /// <summary>True while a connection is established and usable.</summary>
    public bool IsConnected => _channel is not null;

    /// <summary>Why the last connection attempt failed or the last connection was lost.</summary>
    public Exception? LastError => _lastError;

    /// <summary>Connections re-established after a loss.</summary>
    public long Reconnects => Interlocked.Read(ref _reconnects);

    /// <summary>Starts connecting in the background and returns at once: a service can start while Redis is down.</summary>
    public static RedisConnection Create(RedisOptions options, TimeProvider? timeProvider = null, Random? random = null)
    {
        var connection = new RedisConnection(options, timeProvider, random);
        connection._loop = Task.Run(connection.RunAsync);
        return connection;
    }

    /// <summary>Connects, authenticates and returns once usable (it keeps reconnecting afterwards).</summary>
    /// <exception cref="RedisConnectionException">The first attempt failed (unreachable, TLS, authentication).</exception>
    public static async Task<RedisConnection> ConnectAsync(RedisOptions options, CancellationToken cancellationToken = default)
    {
        var connection = Create(options);
        try
        {
            await connection._firstAttempt.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Waits until a connection is established.</summary>
    public Task WaitConnectedAsync(CancellationToken cancellationToken = default)
    {
        lock (_stateLock)
            return _connected.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Sends a command, e.g. <c>ExecuteAsync("SET", "k", "v")</c>.</summary>
    public ValueTask<RedisValue> ExecuteAsync(string command, params ReadOnlySpan<RedisArg> args)
        => ExecuteAsync(command, args, CancellationToken.None);

    /// <summary>Sends a command. Error replies throw <see cref="RedisServerException"/>; a cancelled or timed-out call
    /// leaves the connection in sync (its reply is read and dropped).</summary>
    public ValueTask<RedisValue> ExecuteAsync(string command, ReadOnlySpan<RedisArg> args, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(command);
        if (cancellationToken.IsCancellationRequested)
            return ValueTask.FromCanceled<RedisValue>(cancellationToken);
        var channel = _channel;
        if (channel is null)
            return ValueTask.FromException<RedisValue>(NotConnected());
        RedisMetrics.Commands.Add(1);
        return AwaitReply(channel.Send(command, args), cancellationToken);
    }

    /// <summary>Runs <paramref name="script"/> with <c>EVALSHA</c>; on <c>NOSCRIPT</c> sends <c>SCRIPT LOAD</c> and the
    /// <c>EVALSHA</c> again, pipelined (one extra round trip, only after a server restart or flush).</summary>
    public ValueTask<RedisValue> EvalAsync(RedisScript script, ReadOnlySpan<RedisArg> keys, ReadOnlySpan<RedisArg> args, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(script);
        if (cancellationToken.IsCancellationRequested)
            return ValueTask.FromCanceled<RedisValue>(cancellationToken);
        // Serialised once: on NOSCRIPT the same bytes are sent again.
        var command = new PooledBufferWriter(256);
        var writer = new RespWriter(command);
        writer.WriteHeader((byte)'*', 3 + keys.Length + args.Length);
        writer.WriteBulk("EVALSHA");
        writer.WriteBulk(script.Sha1);
        writer.WriteBulk(keys.Length);
        foreach (ref readonly var key in keys)
            key.WriteTo(writer);
        foreach (ref readonly var arg in args)
            arg.WriteTo(writer);
        return EvalCoreAsync(script, command, cancellationToken);
    }

    private async ValueTask<RedisValue> EvalCoreAsync(RedisScript script, PooledBufferWriter command, CancellationToken cancellationToken)
    {
        using (command)
        {
            var channel = _channel ?? throw NotConnected();
            RedisMetrics.Commands.Add(1);
            try
            {
                return await AwaitReply(channel.SendRaw(command.WrittenSpan), cancellationToken).ConfigureAwait(false);
            }
            catch (RedisServerException ex) when (ex.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal))
            {
                RedisMetrics.ScriptLoads.Add(1);
                channel = _channel ?? throw NotConnected();
                RedisMetrics.Commands.Add(2);
                var load = channel.Send("SCRIPT", ["LOAD", script.Source]);
                var retry = channel.SendRaw(command.WrittenSpan);
                await AwaitReply(load, cancellationToken).ConfigureAwait(false);
                return await AwaitReply(retry, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async ValueTask<RedisValue> AwaitReply(Task<RedisValue> reply, CancellationToken cancellationToken)
    {
        try
        {
            if (reply.IsCompleted || (Options.CommandTimeout == Timeout.InfiniteTimeSpan && !cancellationToken.CanBeCanceled))
                return await reply.ConfigureAwait(false);
            return await reply.WaitAsync(Options.CommandTimeout, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException ex)
        {
            RedisMetrics.Errors.Add(1, TimeoutKind);
            throw new RedisTimeoutException($"Redis {Options} did not answer within {Options.CommandTimeout.TotalMilliseconds} ms.", ex);
        }
        catch (RedisServerException)
        {
            RedisMetrics.Errors.Add(1, ServerKind);
            throw;
        }
        catch (RedisConnectionException)
        {
            RedisMetrics.Errors.Add(1, ConnectionKind);
            throw;
        }
    }

    private RedisConnectionException NotConnected()
    {
        RedisMetrics.Errors.Add(1, ConnectionKind);
        var last = _lastError;
        return _dispose.IsCancellationRequested
            ? new RedisConnectionException("Redis connection is disposed.")
            : new RedisConnectionException($"Not connected to Redis {Options}{(last is null ? " yet" : ": " + last.Message)}", last);
    }

    private async Task RunAsync()
    {
        var attempt = 0;
        var everConnected = false;
        var token = _dispose.Token;
        while (!token.IsCancellationRequested)
        {
            RespChannel channel;
            try
            {
                channel = await RespChannel.OpenAsync(Options, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                _lastError = ex;
                _firstAttempt.TrySetException(ex);
                try
                {
                    await Task.Delay(Backoff(attempt++), _time, token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                continue;
            }

            if (everConnected)
            {
                Interlocked.Increment(ref _reconnects);
                RedisMetrics.Reconnects.Add(1);
            }
            everConnected = true;
            attempt = 0;
            _channel = channel;
            lock (_stateLock)
                _connected.TrySetResult();
            _firstAttempt.TrySetResult();

            var cause = await channel.Closed.ConfigureAwait(false);
            lock (_stateLock)
            {
                _channel = null;
                _lastError = cause;
                _connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
            await channel.DisposeAsync().ConfigureAwait(false);
        }
        _firstAttempt.TrySetException(new RedisConnectionException("Redis connection is disposed."));
    }

    private TimeSpan Backoff(int attempt)
    {
        var ms = Math.Min(Options.ReconnectMaxDelay.TotalMilliseconds, Options.ReconnectMinDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt, 20)));
#pragma warning disable CA5394 // jitter, not security
        return TimeSpan.FromMilliseconds(ms * (0.5 + (_random.NextDouble() * 0.5)));
#pragma warning restore CA5394
    }

    public async ValueTask DisposeAsync()
    {
        if (_dispose.IsCancellationRequested)
            return;
        _dispose.Cancel();
        var channel = _channel;
        if (channel is not null)
            await channel.DisposeAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // expected on shutdown
        }
        _dispose.Dispose();
    }
}
