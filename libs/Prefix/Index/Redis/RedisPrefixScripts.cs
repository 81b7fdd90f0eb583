using StackExchange.Redis;

namespace InferenceMesh.Prefix.Index.Redis;

/// <summary>Lua scripts of the redis backend. Data model (root R, model M, endpoint E):
/// <list type="bullet">
/// <item><c>R:{M}:e:E</c> — sorted set: member = block hash (8 bytes, little-endian), score = recency
/// (<c>tick × 65536 + 65535 − depth</c>, so older records go first and, within one, deeper blocks first);</item>
/// <item><c>R:{M}:clock</c> — the model's recency tick (INCR per record); <c>R:{M}:endpoints</c> — set of E;</item>
/// <item><c>R:models</c> — set of M; <c>R:cap</c> — hash E → capacity; <c>R:evictions</c> — counter.</item>
/// </list>
/// A held block implies its whole prefix is held: a record writes a chain from its first block with one tick, a later
/// record of a longer or shared prefix raises every block it covers, and eviction removes the lowest scores (older
/// records first, deeper blocks first within one). So a match finds each candidate's leading run by binary search on
/// the chain (at most log2(n) + 2 lookups per candidate) instead of looking up every block: the match cost no longer
/// grows with the prompt. The scripts use KEYS/ARGV (no @names), so <see cref="LuaScript.Prepare"/> leaves
/// them as written; StackExchange.Redis sends EVALSHA once the server knows a script and EVAL again after NOSCRIPT. Hashes travel as ONE binary argument (8 bytes each). Per-endpoint keys are derived inside the
/// scripts, which standalone Redis (and Garnet) allow but Redis Cluster does not: the index targets a single primary (or
/// a proxy in front).</summary>
internal static class RedisPrefixScripts
{
    /// <summary>KEYS: cap, models, evictions. ARGV: model prefix "R:{M}:", hashes blob, record endpoint ("" = match only),
    /// default capacity, model, candidates…. Returns {matched per candidate…} followed by the evicted count.</summary>
    public static readonly LuaScript MatchAndRecord = LuaScript.Prepare("""
        local p = ARGV[1]
        local blob = ARGV[2]
        local endpoint = ARGV[3]
        local n = math.floor(#blob / 8)
        local blocks = {}
        local function block(i)
          local b = blocks[i]
          if not b then
            b = string.sub(blob, i * 8 - 7, i * 8)
            blocks[i] = b
          end
          return b
        end
        local res = {}
        for j = 6, #ARGV do
          local key = p .. 'e:' .. ARGV[j]
          local held = 0
          if n > 0 and redis.call('ZSCORE', key, block(1)) then
            if redis.call('ZSCORE', key, block(n)) then
              held = n
            else
              -- block lo is held, block hi + 1 is not: the leading run ends in between
              local lo, hi = 1, n - 1
              while lo < hi do
                local mid = math.floor((lo + hi + 1) / 2)
                if redis.call('ZSCORE', key, block(mid)) then lo = mid else hi = mid - 1 end
              end
              held = lo
            end
          end
          res[#res + 1] = held
        end
        local evicted = 0
        if endpoint ~= '' and n > 0 then
          local key = p .. 'e:' .. endpoint
          local tick = redis.call('INCR', p .. 'clock')
          local chunk = 1000
          local from = 1
          while from <= n do
            local to = math.min(from + chunk - 1, n)
            local args = {}
            for i = from, to do
              args[#args + 1] = tick * 65536 + (65535 - math.min(i - 1, 65535))
              args[#args + 1] = block(i)
            end
            redis.call('ZADD', key, unpack(args))
            from = to + 1
          end
          local cap = tonumber(redis.call('HGET', KEYS[1], endpoint)) or tonumber(ARGV[4])
          local card = redis.call('ZCARD', key)
          if card > cap then
            evicted = card - cap
            redis.call('ZPOPMIN', key, evicted)
            redis.call('INCRBY', KEYS[3], evicted)
          end
          redis.call('SADD', p .. 'endpoints', endpoint)
          redis.call('SADD', KEYS[2], ARGV[5])
        end
        res[#res + 1] = evicted
        return res
        """);

    /// <summary>KEYS: models, cap. ARGV: root "R:", endpoint. Removes the endpoint from every model; returns entries removed.</summary>
    public static readonly LuaScript Purge = LuaScript.Prepare("""
        local removed = 0
        for _, m in ipairs(redis.call('SMEMBERS', KEYS[1])) do
          local p = ARGV[1] .. '{' .. m .. '}:'
          local key = p .. 'e:' .. ARGV[2]
          removed = removed + redis.call('ZCARD', key)
          redis.call('UNLINK', key)
          redis.call('SREM', p .. 'endpoints', ARGV[2])
        end
        redis.call('HDEL', KEYS[2], ARGV[2])
        return removed
        """);

    /// <summary>KEYS: models, cap. ARGV: root "R:", endpoint, capacity. Sets the capacity and trims the endpoint at once;
    /// returns entries evicted.</summary>
    public static readonly LuaScript SetCapacity = LuaScript.Prepare("""
        redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
        local cap = tonumber(ARGV[3])
        local evicted = 0
        for _, m in ipairs(redis.call('SMEMBERS', KEYS[1])) do
          local key = ARGV[1] .. '{' .. m .. '}:e:' .. ARGV[2]
          local card = redis.call('ZCARD', key)
          if card > cap then
            redis.call('ZPOPMIN', key, card - cap)
            evicted = evicted + card - cap
          end
        end
        if evicted > 0 then redis.call('INCRBY', KEYS[3], evicted) end
        return evicted
        """);

    /// <summary>KEYS: models, cap, evictions. ARGV: root "R:". Returns {evictions, model, endpoint, entries, capacity, …}.</summary>
    public static readonly LuaScript Stats = LuaScript.Prepare("""
        local out = { tonumber(redis.call('GET', KEYS[3]) or '0') }
        for _, m in ipairs(redis.call('SMEMBERS', KEYS[1])) do
          local p = ARGV[1] .. '{' .. m .. '}:'
          for _, e in ipairs(redis.call('SMEMBERS', p .. 'endpoints')) do
            out[#out + 1] = m
            out[#out + 1] = e
            out[#out + 1] = redis.call('ZCARD', p .. 'e:' .. e)
            out[#out + 1] = tonumber(redis.call('HGET', KEYS[2], e) or '-1')
          end
        end
        return out
        """);
}
