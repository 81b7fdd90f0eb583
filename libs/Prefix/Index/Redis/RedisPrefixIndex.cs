using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using StackExchange.Redis;

namespace InferenceMesh.Prefix.Index.Redis;

/// <summary>The index in Redis (or Garnet), shared by every replica: a match, a record, or both take ONE round trip
/// (one EVALSHA of a Lua script; see <see cref="RedisPrefixScripts"/> for the data model) on the process's one
/// <see cref="IConnectionMultiplexer"/>, which the caller owns.</summary>
internal sealed class RedisPrefixIndex : IPrefixIndex
{
    private readonly IConnectionMultiplexer _redis;
    private readonly IDatabase _db;
    private readonly PrefixIndexOptions _options;
    private readonly PrefixIndexMetrics _metrics;
    private readonly string _root;
    private readonly RedisKey _capacityKey;
    private readonly RedisKey[] _matchKeys;
    private readonly RedisKey[] _purgeKeys;
    private readonly RedisKey[] _statsKeys;
    private readonly ConcurrentDictionary<string, string> _modelPrefixes = new(StringComparer.Ordinal);

    public RedisPrefixIndex(IConnectionMultiplexer redis, PrefixIndexOptions options, PrefixIndexMetrics metrics)
    {
        _redis = redis;
        _db = redis.GetDatabase();
        _options = options;
        _metrics = metrics;
        _root = options.KeyPrefix + ":";
        RedisKey cap = _root + "cap", models = _root + "models", evictions = _root + "evictions";
        _capacityKey = cap;
        _matchKeys = [cap, models, evictions];
        _purgeKeys = [models, cap];
        _statsKeys = [models, cap, evictions];
    }

    public string Backend => "redis";

    public bool IsAvailable => _redis.IsConnected;

    /// <summary>One PING on the multiplexer: the store's round-trip time, or the failure.</summary>
    public Task<TimeSpan> PingAsync() => _db.PingAsync();

    public ValueTask<int[]> MatchAsync(string model, ReadOnlyMemory<ulong> hashes, IReadOnlyList<string> candidates, CancellationToken cancellationToken)
        => RunAsync(model, hashes, candidates, string.Empty, cancellationToken);

    public async ValueTask RecordAsync(string model, string endpoint, ReadOnlyMemory<ulong> hashes, CancellationToken cancellationToken)
        => await RunAsync(model, hashes, [], endpoint, cancellationToken).ConfigureAwait(false);

    public ValueTask<int[]> MatchAndRecordAsync(string model, ReadOnlyMemory<ulong> hashes, IReadOnlyList<string> candidates, string endpoint, CancellationToken cancellationToken)
        => RunAsync(model, hashes, candidates, endpoint, cancellationToken);

    private ValueTask<int[]> RunAsync(string model, ReadOnlyMemory<ulong> hashes, IReadOnlyList<string> candidates, string endpoint, CancellationToken cancellationToken)
    {
        if (hashes.IsEmpty || (candidates.Count == 0 && endpoint.Length == 0))
            return ValueTask.FromResult(new int[candidates.Count]);
        // StackExchange.Redis takes no token: the command timeout (RedisTimeoutMs) bounds the call instead.
        cancellationToken.ThrowIfCancellationRequested();

        var blobLength = hashes.Length * sizeof(ulong);
        var blob = ArrayPool<byte>.Shared.Rent(blobLength);
        var argCount = 5 + candidates.Count;
        var args = ArrayPool<RedisValue>.Shared.Rent(argCount);
        // Block hashes go on the wire as fixed 8-byte little-endian members: compact keys, no formatting.
        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.AsBytes(hashes.Span).CopyTo(blob);
        }
        else
        {
            var span = hashes.Span;
            for (var i = 0; i < span.Length; i++)
                BinaryPrimitives.WriteUInt64LittleEndian(blob.AsSpan(i * 8), span[i]);
        }
        args[0] = ModelPrefix(model);
        args[1] = (ReadOnlyMemory<byte>)blob.AsMemory(0, blobLength);
        args[2] = endpoint;
        args[3] = _options.DefaultCapacity;
        args[4] = model;
        for (var i = 0; i < candidates.Count; i++)
            args[5 + i] = candidates[i];
        _metrics.RoundTrips.Add(1);
        Task<RespResult> pending;
        try
        {
            pending = _db.ScriptEvaluateRespAsync(RedisPrefixScripts.MatchAndRecord.ExecutableScript, _matchKeys, args.AsMemory(0, argCount));
        }
        catch
        {
            Return(blob, args, argCount);
            throw;
        }
        return CompleteMatchAsync(pending, blob, args, argCount, candidates.Count);
    }

    /// <summary>The pooled arguments stay rented until the reply is in: the multiplexer writes them from its own thread.</summary>
    private async ValueTask<int[]> CompleteMatchAsync(Task<RespResult> pending, byte[] blob, RedisValue[] args, int argCount, int candidates)
    {
        try
        {
            using var reply = await pending.ConfigureAwait(false);
            var result = new int[candidates];
            var evicted = ReadMatch(reply, result);
            if (evicted > 0)
                _metrics.Evictions.Add(evicted);
            return result;
        }
        finally
        {
            Return(blob, args, argCount);
        }
    }

    private static void Return(byte[] blob, RedisValue[] args, int argCount)
    {
        ArrayPool<byte>.Shared.Return(blob);
        args.AsSpan(0, argCount).Clear();
        ArrayPool<RedisValue>.Shared.Return(args);
    }

    /// <summary>Reads {matched per candidate…, evicted} into <paramref name="matched"/>; returns the evicted count.</summary>
    private static long ReadMatch(RespResult reply, int[] matched)
    {
        var reader = reply.Read();
        if (!reader.AggregateLengthIs(matched.Length + 1))
            throw new RedisException($"match script answered {reader.AggregateLength()} values, expected {matched.Length + 1}");
        for (var i = 0; i < matched.Length; i++)
        {
            reader.MoveNextScalar();
            matched[i] = reader.ReadInt32();
        }
        reader.MoveNextScalar();
        return reader.ReadInt64();
    }

    public async ValueTask<long> PurgeEndpointAsync(string endpoint, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        _metrics.RoundTrips.Add(1);
        var reply = await _db.ScriptEvaluateAsync(RedisPrefixScripts.Purge.ExecutableScript, _purgeKeys, [_root, endpoint]).ConfigureAwait(false);
        return (long)reply;
    }

    public async ValueTask SetCapacityAsync(string endpoint, int capacityBlocks, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacityBlocks, 1);
        cancellationToken.ThrowIfCancellationRequested();
        _metrics.RoundTrips.Add(1);
        var reply = await _db.ScriptEvaluateAsync(RedisPrefixScripts.SetCapacity.ExecutableScript, _statsKeys, [_root, endpoint, capacityBlocks]).ConfigureAwait(false);
        var evicted = (long)reply;
        if (evicted > 0)
            _metrics.Evictions.Add(evicted);
    }

    /// <summary>One <c>HGET</c> of the endpoint's field in <c>R:cap</c>, as the record script reads it; absent (or not a
    /// positive integer, which <see cref="SetCapacityAsync"/> never writes) = the default.</summary>
    public async ValueTask<int> GetCapacityAsync(string endpoint, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        _metrics.RoundTrips.Add(1);
        var value = await _db.HashGetAsync(_capacityKey, endpoint).ConfigureAwait(false);
        return value.TryParse(out int capacity) && capacity > 0 ? capacity : _options.DefaultCapacity;
    }

    public async ValueTask<PrefixIndexStats> StatsAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        _metrics.RoundTrips.Add(1);
        var reply = (RedisResult[])(await _db.ScriptEvaluateAsync(RedisPrefixScripts.Stats.ExecutableScript, _statsKeys, [_root]).ConfigureAwait(false))!;
        var evictions = (long)reply[0];
        var rows = (reply.Length - 1) / 4;
        var memory = new Task<RedisResult>[rows];
        var keys = new (string Model, string Endpoint, long Entries, int Capacity)[rows];
        for (var r = 0; r < rows; r++)
        {
            var model = (string)reply[1 + (r * 4)]!;
            var endpoint = (string)reply[2 + (r * 4)]!;
            var cap = (int)reply[4 + (r * 4)];
            keys[r] = (model, endpoint, (long)reply[3 + (r * 4)], cap < 0 ? _options.DefaultCapacity : cap);
            // Pipelined by the multiplexer: all MEMORY USAGE calls share one round trip.
            memory[r] = _db.ExecuteAsync("MEMORY", "USAGE", (RedisKey)(ModelPrefix(model) + "e:" + endpoint), "SAMPLES", 0);
        }
        if (rows > 0)
            _metrics.RoundTrips.Add(1);
        var list = new List<PrefixEndpointStats>(rows);
        long total = 0;
        long bytes = 0;
        for (var r = 0; r < rows; r++)
        {
            var usage = await memory[r].ConfigureAwait(false);
            long? b = usage.IsNull ? null : (long)usage;
            bytes += b ?? 0;
            total += keys[r].Entries;
            list.Add(new PrefixEndpointStats(keys[r].Model, keys[r].Endpoint, keys[r].Entries, keys[r].Capacity, b));
        }
        _metrics.SetEntries(total);
        return new PrefixIndexStats(Backend, total, evictions, bytes, list);
    }

    private string ModelPrefix(string model)
    {
        if (_modelPrefixes.TryGetValue(model, out var prefix))
            return prefix;
        prefix = _root + "{" + model + "}:";
        // Model names come from requests: cache the common ones, never grow without bound.
        if (_modelPrefixes.Count < 10_000)
            _modelPrefixes.TryAdd(model, prefix);
        return prefix;
    }
}
