using System.Buffers.Binary;
using StackExchange.Redis;

namespace InferenceMesh.Prefix.Index.Exact;

/// <summary>
/// The exact per-endpoint block sets built from the model servers' own KV-cache events, in Redis beside the approximate
/// index, so every picker replica reads the same truth. Keys under <c>{KeyPrefix}:</c>: <c>x:{endpoint}</c> a SET of the
/// prompt-block hashes the endpoint's engine holds (8-byte little-endian members, like the approximate index);
/// <c>xlive:{endpoint}</c> present (with a TTL its writer refreshes) while the endpoint's events are being followed;
/// <c>xlease:{endpoint}</c> the writer lease (its value is the owning replica), so one replica writes each endpoint.
/// </summary>
public sealed class ExactBlockSets
{
    private const string MatchLua = """
        local root = ARGV[1]
        local blob = ARGV[2]
        local n = math.floor(#blob / 8)
        local out = {}
        for c = 3, #ARGV do
          local ep = ARGV[c]
          if redis.call('EXISTS', root .. 'xlive:' .. ep) == 0 then
            out[#out + 1] = -1
          else
            local set = root .. 'x:' .. ep
            local i = 0
            while i < n and redis.call('SISMEMBER', set, string.sub(blob, i * 8 + 1, i * 8 + 8)) == 1 do
              i = i + 1
            end
            out[#out + 1] = i
          end
        end
        return out
        """;

    // 1 = renewed (already ours), 2 = acquired (new owner: rebuild), 0 = held by another replica.
    private const string LeaseLua = """
        local current = redis.call('GET', KEYS[1])
        if current == ARGV[1] then
          redis.call('PEXPIRE', KEYS[1], ARGV[2])
          return 1
        end
        if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
          return 2
        end
        return 0
        """;

    private const string ReleaseLua = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then
          redis.call('DEL', KEYS[1])
          if ARGV[2] == '1' then
            redis.call('DEL', KEYS[2], KEYS[3])
          end
          return 1
        end
        return 0
        """;

    private readonly IDatabase _db;
    private readonly string _root;

    /// <summary>Uses the process's one multiplexer; <paramref name="keyPrefix"/> is the index's <c>KeyPrefix</c>.</summary>
    public ExactBlockSets(IConnectionMultiplexer redis, string keyPrefix)
    {
        ArgumentNullException.ThrowIfNull(redis);
        ArgumentException.ThrowIfNullOrEmpty(keyPrefix);
        _db = redis.GetDatabase();
        _root = keyPrefix + ":";
    }

    /// <summary>Per candidate: the leading blocks of <paramref name="hashes"/> its engine holds, or −1 when nobody follows
    /// its events (it publishes none, or its writer is gone): the caller falls back to the approximate index.</summary>
    public async Task<int[]> MatchAsync(ReadOnlyMemory<ulong> hashes, IReadOnlyList<string> candidates)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        var args = new RedisValue[2 + candidates.Count];
        args[0] = _root;
        args[1] = ToBlob(hashes.Span);
        for (var i = 0; i < candidates.Count; i++)
            args[2 + i] = candidates[i];
        var result = await _db.ScriptEvaluateAsync(MatchLua, [], args).ConfigureAwait(false);
        var values = (long[])result!;
        var counts = new int[values.Length];
        for (var i = 0; i < values.Length; i++)
            counts[i] = (int)values[i];
        return counts;
    }

    /// <summary>Applies one batch of changes to <paramref name="endpoint"/>'s set in one transaction and marks it followed
    /// for <paramref name="liveFor"/>.</summary>
    public Task ApplyAsync(string endpoint, bool clearFirst, IReadOnlyList<ulong> add, IReadOnlyList<ulong> remove, TimeSpan liveFor)
    {
        ArgumentException.ThrowIfNullOrEmpty(endpoint);
        ArgumentNullException.ThrowIfNull(add);
        ArgumentNullException.ThrowIfNull(remove);
        RedisKey set = SetKey(endpoint);
        var tx = _db.CreateTransaction();
        if (clearFirst)
            _ = tx.KeyDeleteAsync(set);
        if (remove.Count > 0)
            _ = tx.SetRemoveAsync(set, Members(remove));
        if (add.Count > 0)
            _ = tx.SetAddAsync(set, Members(add));
        _ = tx.StringSetAsync(LiveKey(endpoint), 1, liveFor);
        return tx.ExecuteAsync();
    }

    /// <summary>Refreshes the followed marker without changes (an idle endpoint).</summary>
    public Task KeepLiveAsync(string endpoint, TimeSpan liveFor) => _db.StringSetAsync(LiveKey(endpoint), 1, liveFor);

    /// <summary>Takes or renews <paramref name="endpoint"/>'s writer lease for <paramref name="owner"/>.</summary>
    public async Task<LeaseState> AcquireAsync(string endpoint, string owner, TimeSpan ttl)
    {
        var r = (long)(await _db.ScriptEvaluateAsync(LeaseLua, [LeaseKey(endpoint)], [owner, (long)ttl.TotalMilliseconds]).ConfigureAwait(false));
        return r switch
        {
            1 => LeaseState.Renewed,
            2 => LeaseState.Acquired,
            _ => LeaseState.HeldElsewhere,
        };
    }

    /// <summary>Gives the lease up if <paramref name="owner"/> holds it; with <paramref name="forget"/> (the endpoint left
    /// its pool) its set and marker go too.</summary>
    public Task ReleaseAsync(string endpoint, string owner, bool forget) =>
        _db.ScriptEvaluateAsync(ReleaseLua, [LeaseKey(endpoint), SetKey(endpoint), LiveKey(endpoint)], [owner, forget ? "1" : "0"]);

    /// <summary>The stored set of <paramref name="endpoint"/> (tests, diagnostics).</summary>
    public async Task<HashSet<ulong>> MembersAsync(string endpoint)
    {
        var members = await _db.SetMembersAsync(SetKey(endpoint)).ConfigureAwait(false);
        var set = new HashSet<ulong>(members.Length);
        foreach (var m in members)
            set.Add(BinaryPrimitives.ReadUInt64LittleEndian((byte[])m!));
        return set;
    }

    private string SetKey(string endpoint) => _root + "x:" + endpoint;

    private string LiveKey(string endpoint) => _root + "xlive:" + endpoint;

    private string LeaseKey(string endpoint) => _root + "xlease:" + endpoint;

    private static RedisValue[] Members(IReadOnlyList<ulong> hashes)
    {
        var members = new RedisValue[hashes.Count];
        for (var i = 0; i < hashes.Count; i++)
        {
            var b = new byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(b, hashes[i]);
            members[i] = b;
        }
        return members;
    }

    private static byte[] ToBlob(ReadOnlySpan<ulong> hashes)
    {
        var blob = new byte[hashes.Length * 8];
        for (var i = 0; i < hashes.Length; i++)
            BinaryPrimitives.WriteUInt64LittleEndian(blob.AsSpan(i * 8), hashes[i]);
        return blob;
    }
}

/// <summary>Outcome of a lease attempt.</summary>
public enum LeaseState
{
    /// <summary>Another replica writes this endpoint.</summary>
    HeldElsewhere = 0,

    /// <summary>Still ours.</summary>
    Renewed = 1,

    /// <summary>Newly ours: rebuild the endpoint's set from its publisher.</summary>
    Acquired = 2,
}
