using System.Globalization;
using System.Text;
using System.Text.Json;
using InferenceMesh.Redis;
using Microsoft.AspNetCore.Http;

namespace InferenceMesh.DaprStandIn;

/// <summary>The state API on Redis with state.redis's layout: hash <c>appid||key</c>, fields <c>data</c> and <c>version</c>
/// (the ETag, HINCRBY per write), TTL by EXPIRE, versions compared inside Lua scripts.</summary>
internal sealed class StateApi(DaprStandInOptions options, RedisConnection redis)
{
    // ARGV: etag ('' none), data, ttl ('' none), first-write ('1'/'0'). Returns the new version or an ETAG error.
    private static readonly RedisScript SetScript = new("""
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
        """);

    private static readonly RedisScript DeleteScript = new("""
        if ARGV[1] ~= '' then
          local ver = redis.call('HGET', KEYS[1], 'version')
          if ver == false or ver ~= ARGV[1] then return redis.error_reply('ETAGMISMATCH possible etag mismatch') end
        end
        return redis.call('DEL', KEYS[1])
        """);

    // ARGV per operation i (4 each): kind ('u'/'d'), etag, data, ttl. All ETags are checked before anything is written.
    private static readonly RedisScript TransactionScript = new("""
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
        """);

    private string RedisKey(string store, string key) => options.KeyPrefix switch
    {
        "appid" => options.AppId + "||" + key,
        "name" => store + "||" + key,
        "none" => key,
        var literal => literal + "||" + key,
    };

    private bool KnownStore(string store)
    {
        foreach (var s in options.StateStores)
        {
            if (s == store)
                return true;
        }
        return false;
    }

    public async Task GetAsync(HttpContext context, string store, string key)
    {
        if (!KnownStore(store))
        {
            await Errors.WriteAsync(context, 400, "ERR_STATE_STORE_NOT_FOUND", $"state store {store} is not found");
            return;
        }
        var reply = await redis.ExecuteAsync("HMGET", RedisKey(store, key), "data", "version");
        if (reply[0].IsNull)
        {
            context.Response.StatusCode = StatusCodes.Status204NoContent;
            return;
        }
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.Headers.ETag = reply[1].AsString();
        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(reply[0].AsBytes());
    }

    public async Task BulkGetAsync(HttpContext context, string store)
    {
        if (!KnownStore(store))
        {
            await Errors.WriteAsync(context, 400, "ERR_STATE_STORE_NOT_FOUND", $"state store {store} is not found");
            return;
        }
        using var doc = await JsonDocument.ParseAsync(context.Request.Body);
        var keys = new List<string>();
        foreach (var k in doc.RootElement.GetProperty("keys").EnumerateArray())
            keys.Add(k.GetString()!);
        var replies = new Task<RedisValue>[keys.Count];
        for (var i = 0; i < keys.Count; i++)
            replies[i] = redis.ExecuteAsync("HMGET", RedisKey(store, keys[i]), "data", "version").AsTask();
        await Task.WhenAll(replies);
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            for (var i = 0; i < keys.Count; i++)
            {
                writer.WriteStartObject();
                writer.WriteString("key", keys[i]);
                var reply = replies[i].Result;
                if (!reply[0].IsNull)
                {
                    writer.WritePropertyName("data");
                    writer.WriteRawValue(reply[0].AsBytes().Span);
                    writer.WriteString("etag", reply[1].AsString());
                }
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
        }
        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length));
    }

    public async Task SaveAsync(HttpContext context, string store)
    {
        if (!KnownStore(store))
        {
            await Errors.WriteAsync(context, 400, "ERR_STATE_STORE_NOT_FOUND", $"state store {store} is not found");
            return;
        }
        using var doc = await JsonDocument.ParseAsync(context.Request.Body);
        foreach (var item in doc.RootElement.EnumerateArray())
        {
            var request = SetRequest.Read(item, context.Request.Query);
            if (request.ETag.Length > 0 && !long.TryParse(request.ETag, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            {
                await Errors.WriteAsync(context, 400, "ERR_STATE_SAVE", $"failed saving state in state store {store}: invalid etag value: {request.ETag}");
                return;
            }
            try
            {
                await redis.EvalAsync(SetScript, [RedisKey(store, request.Key)], [request.ETag, request.Data, request.Ttl, request.FirstWrite ? "1" : "0"]);
            }
            catch (RedisServerException ex) when (ex.Prefix == "ETAGMISMATCH")
            {
                await Errors.WriteAsync(context, 409, "ERR_STATE_SAVE", $"failed saving state in state store {store}: possible etag mismatch. error from state store: {ex.Message}");
                return;
            }
        }
        context.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    public async Task DeleteAsync(HttpContext context, string store, string key)
    {
        if (!KnownStore(store))
        {
            await Errors.WriteAsync(context, 400, "ERR_STATE_STORE_NOT_FOUND", $"state store {store} is not found");
            return;
        }
        var etag = context.Request.Headers.IfMatch.ToString();
        if (etag.Length > 0 && !long.TryParse(etag, NumberStyles.None, CultureInfo.InvariantCulture, out _))
        {
            await Errors.WriteAsync(context, 400, "ERR_STATE_DELETE", $"failed deleting state with key {key}: invalid etag value: {etag}");
            return;
        }
        try
        {
            await redis.EvalAsync(DeleteScript, [RedisKey(store, key)], [etag]);
        }
        catch (RedisServerException ex) when (ex.Prefix == "ETAGMISMATCH")
        {
            await Errors.WriteAsync(context, 409, "ERR_STATE_DELETE", $"failed deleting state with key {key}: possible etag mismatch. error from state store: {ex.Message}");
            return;
        }
        context.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    public async Task TransactionAsync(HttpContext context, string store)
    {
        if (!KnownStore(store))
        {
            await Errors.WriteAsync(context, 400, "ERR_STATE_STORE_NOT_FOUND", $"state store {store} is not found");
            return;
        }
        using var doc = await JsonDocument.ParseAsync(context.Request.Body);
        var keys = new List<RedisArg>();
        var args = new List<RedisArg>();
        foreach (var op in doc.RootElement.GetProperty("operations").EnumerateArray())
        {
            var kind = op.GetProperty("operation").GetString();
            var request = SetRequest.Read(op.GetProperty("request"), null);
            if (kind is not ("upsert" or "delete"))
            {
                await Errors.WriteAsync(context, 400, "ERR_NOT_SUPPORTED_STATE_OPERATION", $"operation type {kind} not supported");
                return;
            }
            keys.Add(RedisKey(store, request.Key));
            args.Add(kind == "delete" ? "d" : "u");
            args.Add(request.ETag);
            args.Add(request.Data);
            args.Add(request.Ttl);
        }
        try
        {
            if (keys.Count > 0)
                await redis.EvalAsync(TransactionScript, keys.ToArray(), args.ToArray());
        }
        catch (RedisServerException ex)
        {
            await Errors.WriteAsync(context, 500, "ERR_STATE_TRANSACTION", $"error while executing state transaction: {ex.Message}");
            return;
        }
        context.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    private readonly record struct SetRequest(string Key, string ETag, byte[] Data, string Ttl, bool FirstWrite)
    {
        public static SetRequest Read(JsonElement item, IQueryCollection? query)
        {
            var key = item.GetProperty("key").GetString()!;
            var etag = item.TryGetProperty("etag", out var e) && e.ValueKind == JsonValueKind.String ? e.GetString()! : string.Empty;
            var data = item.TryGetProperty("value", out var v) ? Encoding.UTF8.GetBytes(v.GetRawText()) : [];
            var ttl = string.Empty;
            if (item.TryGetProperty("metadata", out var m) && m.TryGetProperty("ttlInSeconds", out var t))
                ttl = t.ValueKind == JsonValueKind.Number ? t.GetRawText() : t.GetString() ?? string.Empty;
            else if (query is not null && query.TryGetValue("metadata.ttlInSeconds", out var qt))
                ttl = qt.ToString();
            var firstWrite = item.TryGetProperty("options", out var o) && o.TryGetProperty("concurrency", out var c) && c.GetString() == "first-write";
            return new SetRequest(key, etag, data, ttl, firstWrite);
        }
    }
}
