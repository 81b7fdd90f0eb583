using System.Globalization;
using StackExchange.Redis;

namespace InferenceMesh.DaprStandIn;

/// <summary>state.redis on a real Redis: hash <c>appid||key</c> with fields <c>data</c> and <c>version</c> (the ETag,
/// HINCRBY per write), TTL by EXPIRE, versions compared inside Lua scripts (EVALSHA after the first call).</summary>
internal sealed class RedisState(DaprStandInOptions options, IDatabase redis)
{
    private static readonly RedisValue[] DataAndVersion = ["data", "version"];

    // ARGV: etag ('' none), data, ttl ('' none), first-write ('1'/'0'). Returns the new version or an ETAG error.
    private const string SetScript = """
        local ver = redis.call('HGET', KEYS[1], 'version')
        if ARGV[1] ~= '' then
          if ver == false or ver ~= ARGV[1] then return redis.error_reply('ETAGMISMATCH possible etag mismatch') end
        elseif ARGV[4] == '1' and ver ~= false then
          return redis.error_reply('ETAGMISMATCH key exists and first-write needs its etag')
        end
        redis.call('HSET', KEYS[1], 'data', ARGV[2])
        local v = redis.call('HINCRBY', KEYS[1], 'version', 1)
        if ARGV[3] ~= '' and tonumber(ARGV[3]) > 0 then redis.call('EXPIRE', KEYS[1], ARGV[3]) else redis.call('PERSIST', KEYS[1]) end
        return v
        """;

    private const string DeleteScript = """
        if ARGV[1] ~= '' then
          local ver = redis.call('HGET', KEYS[1], 'version')
          if ver == false or ver ~= ARGV[1] then return redis.error_reply('ETAGMISMATCH possible etag mismatch') end
        end
        return redis.call('DEL', KEYS[1])
        """;

    // ARGV per operation i (4 each): kind ('u'/'d'), etag, data, ttl. All ETags are checked before anything is written.
    private const string TransactionScript = """
        for i = 1, #KEYS do
          local etag = ARGV[(i - 1) * 4 + 2]
          if etag ~= '' then
            local ver = redis.call('HGET', KEYS[i], 'version')
            if ver == false or ver ~= etag then return redis.error_reply('ETAGMISMATCH transaction etag mismatch on ' .. KEYS[i]) end
          end
        end
        for i = 1, #KEYS do
          local base = (i - 1) * 4
          if ARGV[base + 1] == 'd' then
            redis.call('DEL', KEYS[i])
          else
            redis.call('HSET', KEYS[i], 'data', ARGV[base + 3])
            redis.call('HINCRBY', KEYS[i], 'version', 1)
            local ttl = ARGV[base + 4]
            if ttl ~= '' and tonumber(ttl) > 0 then redis.call('EXPIRE', KEYS[i], ttl) else redis.call('PERSIST', KEYS[i]) end
          end
        end
        return #KEYS
        """;

    /// <summary>The value and ETag of <paramref name="key"/>, or (null, null) when it does not exist.</summary>
    public async Task<(byte[]? Data, string? ETag)> GetAsync(string store, string key)
    {
        CheckStore(store);
        var reply = await redis.HashGetAsync(RedisKey(store, key), DataAndVersion);
        return reply[0].IsNull ? (null, null) : ((byte[]?)reply[0], reply[1].ToString());
    }

    public async Task SetAsync(string store, StateWrite write)
    {
        CheckStore(store);
        CheckETag("ERR_STATE_SAVE", write.ETag);
        try
        {
            await redis.ScriptEvaluateAsync(SetScript, [RedisKey(store, write.Key)], [write.ETag, write.Data, write.Ttl, write.FirstWrite ? "1" : "0"]);
        }
        catch (RedisServerException ex) when (ex.Message.StartsWith("ETAGMISMATCH", StringComparison.Ordinal))
        {
            throw StandInError.ETagMismatch("ERR_STATE_SAVE", ex.Message);
        }
    }

    public async Task DeleteAsync(string store, string key, string etag)
    {
        CheckStore(store);
        CheckETag("ERR_STATE_DELETE", etag);
        try
        {
            await redis.ScriptEvaluateAsync(DeleteScript, [RedisKey(store, key)], [etag]);
        }
        catch (RedisServerException ex) when (ex.Message.StartsWith("ETAGMISMATCH", StringComparison.Ordinal))
        {
            throw StandInError.ETagMismatch("ERR_STATE_DELETE", ex.Message);
        }
    }

    /// <summary>All operations or none; any failure (an ETag mismatch included) is daprd's ERR_STATE_TRANSACTION.</summary>
    public async Task TransactionAsync(string store, IReadOnlyList<(bool Delete, StateWrite Write)> operations)
    {
        CheckStore(store);
        if (operations.Count == 0)
            return;
        var keys = new RedisKey[operations.Count];
        var args = new RedisValue[operations.Count * 4];
        for (var i = 0; i < operations.Count; i++)
        {
            var (delete, write) = operations[i];
            keys[i] = RedisKey(store, write.Key);
            args[(i * 4) + 0] = delete ? "d" : "u";
            args[(i * 4) + 1] = write.ETag;
            args[(i * 4) + 2] = write.Data;
            args[(i * 4) + 3] = write.Ttl;
        }
        try
        {
            await redis.ScriptEvaluateAsync(TransactionScript, keys, args);
        }
        catch (RedisServerException ex)
        {
            throw new StandInError(Grpc.Core.StatusCode.Internal, 500, "ERR_STATE_TRANSACTION", $"error while executing state transaction: {ex.Message}");
        }
    }

    private RedisKey RedisKey(string store, string key) => options.KeyPrefix switch
    {
        "appid" => options.AppId + "||" + key,
        "name" => store + "||" + key,
        "none" => key,
        var literal => literal + "||" + key,
    };

    private void CheckStore(string store)
    {
        foreach (var s in options.StateStores)
        {
            if (s == store)
                return;
        }
        throw StandInError.StoreNotFound(store);
    }

    private static void CheckETag(string code, string etag)
    {
        // state.redis ETags are the version integers; anything else is a client error.
        if (etag.Length > 0 && !long.TryParse(etag, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            throw StandInError.InvalidETag(code, etag);
    }
}

/// <summary>One write of the state API: key, value bytes, expected ETag ('' none), TTL seconds ('' none), first-write concurrency.</summary>
internal readonly record struct StateWrite(string Key, byte[] Data, string ETag, string Ttl, bool FirstWrite);
