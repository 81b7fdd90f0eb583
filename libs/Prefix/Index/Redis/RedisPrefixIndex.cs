using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using InferenceMesh.Redis;

namespace InferenceMesh.Prefix.Index.Redis;

/// <summary>The index in Redis, shared by every replica: a match, a record, or both take ONE round trip (a Lua script;
/// see <see cref="RedisPrefixScripts"/> for the data model).</summary>
internal sealed class RedisPrefixIndex : IPrefixIndex
{
    private readonly RedisConnection _redis;
    private readonly PrefixIndexOptions _options;
    private readonly PrefixIndexMetrics _metrics;
    private readonly string _root;
    private readonly RedisArg _capKey;
    private readonly RedisArg _modelsKey;
    private readonly RedisArg _evictionsKey;
    private readonly ConcurrentDictionary<string, string> _modelPrefixes = new(StringComparer.Ordinal);

    public RedisPrefixIndex(RedisConnection redis, PrefixIndexOptions options, PrefixIndexMetrics metrics)
    {
        _redis = redis;
        _options = options;
        _metrics = metrics;
        _root = options.KeyPrefix + ":";
        _capKey = _root + "cap";
        _modelsKey = _root + "models";
        _evictionsKey = _root + "evictions";
    }

    public string Backend => "redis";

    public bool IsAvailable => _redis.IsConnected;

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

        var blobLength = hashes.Length * sizeof(ulong);
        var blob = ArrayPool<byte>.Shared.Rent(blobLength);
        var args = ArrayPool<RedisArg>.Shared.Rent(5 + candidates.Count);
        try
        {
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
            args[1] = RedisArg.FromBytes(blob.AsMemory(0, blobLength));
            args[2] = endpoint;
            args[3] = _options.DefaultCapacity;
            args[4] = model;
            for (var i = 0; i < candidates.Count; i++)
                args[5 + i] = candidates[i];
            _metrics.RoundTrips.Add(1);
            // EvalAsync serialises the arguments before returning, so the pooled buffers can go back right away.
            var reply = _redis.EvalAsync(RedisPrefixScripts.MatchAndRecord, [_capKey, _modelsKey, _evictionsKey], args.AsSpan(0, 5 + candidates.Count), cancellationToken);
            return ParseAsync(reply, candidates.Count);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(blob);
            ArrayPool<RedisArg>.Shared.Return(args, clearArray: true);
        }
    }

    private async ValueTask<int[]> ParseAsync(ValueTask<RedisValue> pending, int candidates)
    {
        var reply = await pending.ConfigureAwait(false);
        var result = new int[candidates];
        for (var i = 0; i < candidates; i++)
            result[i] = (int)reply[i].AsInt64();
        var evicted = reply[candidates].AsInt64();
        if (evicted > 0)
            _metrics.Evictions.Add(evicted);
        return result;
    }

    public async ValueTask<long> PurgeEndpointAsync(string endpoint, CancellationToken cancellationToken)
    {
        _metrics.RoundTrips.Add(1);
        var reply = await _redis.EvalAsync(RedisPrefixScripts.Purge, [_modelsKey, _capKey], [_root, endpoint], cancellationToken).ConfigureAwait(false);
        return reply.AsInt64();
    }

    public async ValueTask SetCapacityAsync(string endpoint, int capacityBlocks, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacityBlocks, 1);
        _metrics.RoundTrips.Add(1);
        var reply = await _redis.EvalAsync(RedisPrefixScripts.SetCapacity, [_modelsKey, _capKey, _evictionsKey], [_root, endpoint, capacityBlocks], cancellationToken).ConfigureAwait(false);
        var evicted = reply.AsInt64();
        if (evicted > 0)
            _metrics.Evictions.Add(evicted);
    }

    public async ValueTask<PrefixIndexStats> StatsAsync(CancellationToken cancellationToken)
    {
        _metrics.RoundTrips.Add(1);
        var reply = await _redis.EvalAsync(RedisPrefixScripts.Stats, [_modelsKey, _capKey, _evictionsKey], [_root], cancellationToken).ConfigureAwait(false);
        var evictions = reply[0].AsInt64();
        var rows = (reply.Count - 1) / 4;
        var memory = new Task<RedisValue>[rows];
        var keys = new (string Model, string Endpoint, long Entries, int Capacity)[rows];
        for (var r = 0; r < rows; r++)
        {
            var model = reply[1 + (r * 4)].AsString()!;
            var endpoint = reply[2 + (r * 4)].AsString()!;
            var cap = (int)reply[4 + (r * 4)].AsInt64();
            keys[r] = (model, endpoint, reply[3 + (r * 4)].AsInt64(), cap < 0 ? _options.DefaultCapacity : cap);
            // Pipelined: all MEMORY USAGE calls share one round trip.
            memory[r] = _redis.ExecuteAsync("MEMORY", ["USAGE", ModelPrefix(model) + "e:" + endpoint, "SAMPLES", 0], cancellationToken).AsTask();
        }
        if (rows > 0)
            _metrics.RoundTrips.Add(1);
        var list = new List<PrefixEndpointStats>(rows);
        long total = 0;
        long bytes = 0;
        for (var r = 0; r < rows; r++)
        {
            var usage = await memory[r].ConfigureAwait(false);
            long? b = usage.IsNull ? null : usage.AsInt64();
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
