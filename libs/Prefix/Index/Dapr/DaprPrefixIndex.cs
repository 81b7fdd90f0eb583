using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Dapr;
using Dapr.Client;

namespace InferenceMesh.Prefix.Index.Dapr;

/// <summary>The index in any Dapr state store (chosen by component YAML) through Dapr.Client's state API.
/// Keys (root R, model M, endpoint E, hash H as 16 hex digits):
/// <list type="bullet">
/// <item><c>R|M|b|H</c> — JSON map E → position: the endpoint's record counter when it last recorded the block;</item>
/// <item><c>R|M|l|E</c> — ledger {seq, floor}: an entry is live while <c>position &gt; max(floor, seq − capacity)</c>,
/// so capacity eviction and purge are O(1) writes and stale entries simply stop counting (and expire by TTL);</item>
/// <item><c>R|cap|E</c> — capacity; <c>R|registry</c> — model → endpoints, for stats and purge.</item>
/// </list>
/// Slower than redis by design: a match is one bulk get (all block keys + the candidates' ledgers and capacities), a
/// record adds one transaction of upserts (values are this project's JSON bytes, so the SDK's serializer never sees them), and the state API cannot run the logic next to the data. Concurrent records of the same
/// block by different replicas are last-write-wins (an endpoint may drop out of a block: a missed hit, never a wrong one).</summary>
internal sealed class DaprPrefixIndex(DaprClient dapr, PrefixIndexOptions options, PrefixIndexMetrics metrics) : IPrefixIndex
{
    private readonly string _store = options.StateStore;
    private readonly string _root = options.KeyPrefix;
    private volatile bool _available = true;

    public string Backend => "dapr";

    public bool IsAvailable => _available;

    public async ValueTask<int[]> MatchAsync(string model, ReadOnlyMemory<ulong> hashes, IReadOnlyList<string> candidates, CancellationToken cancellationToken)
    {
        if (hashes.IsEmpty || candidates.Count == 0)
            return new int[candidates.Count];
        var state = await ReadAsync(model, hashes, candidates, null, cancellationToken).ConfigureAwait(false);
        return state.Match(candidates);
    }

    public async ValueTask RecordAsync(string model, string endpoint, ReadOnlyMemory<ulong> hashes, CancellationToken cancellationToken)
    {
        if (hashes.IsEmpty)
            return;
        var state = await ReadAsync(model, hashes, [], endpoint, cancellationToken).ConfigureAwait(false);
        await WriteAsync(model, endpoint, state, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<int[]> MatchAndRecordAsync(string model, ReadOnlyMemory<ulong> hashes, IReadOnlyList<string> candidates, string endpoint, CancellationToken cancellationToken)
    {
        if (hashes.IsEmpty)
            return new int[candidates.Count];
        var state = await ReadAsync(model, hashes, candidates, endpoint, cancellationToken).ConfigureAwait(false);
        var matches = state.Match(candidates);
        await WriteAsync(model, endpoint, state, cancellationToken).ConfigureAwait(false);
        return matches;
    }

    public async ValueTask<long> PurgeEndpointAsync(string endpoint, CancellationToken cancellationToken)
    {
        var (registry, etag) = await ReadRegistryAsync(cancellationToken).ConfigureAwait(false);
        var models = new List<string>();
        foreach (var (model, endpoints) in registry.Models)
        {
            if (endpoints.Contains(endpoint))
                models.Add(model);
        }
        long removed = 0;
        var capacity = await ReadCapacityAsync(endpoint, cancellationToken).ConfigureAwait(false);
        var saves = new List<StateTransactionRequest>();
        foreach (var model in models)
        {
            var key = LedgerKey(model, endpoint);
            var ledger = await ReadLedgerAsync(key, cancellationToken).ConfigureAwait(false);
            removed += Live(ledger, capacity);
            // Raising the floor to the counter retires every entry at once; the entries themselves expire by TTL.
            saves.Add(Upsert(key, ledger with { Floor = ledger.Seq }, DaprPrefixJsonContext.Default.DaprLedger, null));
        }
        await SaveAsync(saves, cancellationToken).ConfigureAwait(false);
        await UpdateRegistryAsync(r => RemoveEndpoint(r, endpoint), registry, etag, cancellationToken).ConfigureAwait(false);
        await Call(() => dapr.DeleteStateAsync(_store, CapacityKey(endpoint), cancellationToken: cancellationToken)).ConfigureAwait(false);
        return removed;
    }

    public async ValueTask SetCapacityAsync(string endpoint, int capacityBlocks, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacityBlocks, 1);
        await Call(() => dapr.SaveByteStateAsync(_store, CapacityKey(endpoint), Json(capacityBlocks, DaprPrefixJsonContext.Default.Int32), cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    public async ValueTask<int> GetCapacityAsync(string endpoint, CancellationToken cancellationToken)
        => await ReadCapacityAsync(endpoint, cancellationToken).ConfigureAwait(false);

    public async ValueTask<PrefixIndexStats> StatsAsync(CancellationToken cancellationToken)
    {
        var (registry, _) = await ReadRegistryAsync(cancellationToken).ConfigureAwait(false);
        var list = new List<PrefixEndpointStats>();
        long total = 0;
        foreach (var (model, endpoints) in registry.Models)
        {
            foreach (var endpoint in endpoints)
            {
                var ledger = await ReadLedgerAsync(LedgerKey(model, endpoint), cancellationToken).ConfigureAwait(false);
                var capacity = await ReadCapacityAsync(endpoint, cancellationToken).ConfigureAwait(false);
                var live = Live(ledger, capacity);
                total += live;
                list.Add(new PrefixEndpointStats(model, endpoint, live, capacity, null));
            }
        }
        metrics.SetEntries(total);
        // Evictions are implicit (entries age out of the ledger window), so there is no count to report.
        return new PrefixIndexStats(Backend, total, 0, null, list);
    }

    private static long Live(DaprLedger ledger, int capacity) => Math.Max(0, Math.Min(capacity, ledger.Seq - ledger.Floor));

    private async Task<ReadState> ReadAsync(string model, ReadOnlyMemory<ulong> hashes, IReadOnlyList<string> candidates, string? endpoint, CancellationToken cancellationToken)
    {
        var n = hashes.Length;
        var keys = new List<string>(n + (2 * (candidates.Count + 1)));
        for (var i = 0; i < n; i++)
            keys.Add(BlockKey(model, hashes.Span[i]));
        var parties = new List<string>(candidates.Count + 1);
        foreach (var c in candidates)
        {
            if (!parties.Contains(c))
                parties.Add(c);
        }
        if (endpoint is not null && !parties.Contains(endpoint))
            parties.Add(endpoint);
        foreach (var p in parties)
        {
            keys.Add(LedgerKey(model, p));
            keys.Add(CapacityKey(p));
        }
        metrics.RoundTrips.Add(1);
        var items = await Call(() => dapr.GetBulkStateAsync(_store, keys, parallelism: 16, cancellationToken: cancellationToken)).ConfigureAwait(false);
        // Looked up by key: the bulk answer's order is not part of the API.
        var values = new Dictionary<string, string>(items.Count, StringComparer.Ordinal);
        foreach (var item in items)
        {
            if (!string.IsNullOrEmpty(item.Value))
                values[item.Key] = item.Value;
        }

        var blocks = new Dictionary<string, long>?[n];
        for (var i = 0; i < n; i++)
            blocks[i] = values.TryGetValue(keys[i], out var block) ? Parse(block, DaprPrefixJsonContext.Default.DictionaryStringInt64) : null;
        var ledgers = new Dictionary<string, (DaprLedger Ledger, bool Exists, int Capacity)>(StringComparer.Ordinal);
        for (var p = 0; p < parties.Count; p++)
        {
            var exists = values.TryGetValue(keys[n + (2 * p)], out var ledgerJson);
            var ledger = exists ? Parse(ledgerJson!, DaprPrefixJsonContext.Default.DaprLedger) ?? new DaprLedger(0, 0) : new DaprLedger(0, 0);
            var cap = values.TryGetValue(keys[n + (2 * p) + 1], out var capJson) ? Parse(capJson, DaprPrefixJsonContext.Default.Int32) : options.DefaultCapacity;
            ledgers[parties[p]] = (ledger, exists, cap > 0 ? cap : options.DefaultCapacity);
        }
        return new ReadState(hashes, blocks, ledgers);
    }

    private async Task WriteAsync(string model, string endpoint, ReadState state, CancellationToken cancellationToken)
    {
        var (ledger, existed, _) = state.Ledgers[endpoint];
        var n = state.Hashes.Length;
        var span = state.Hashes.Span;
        var ttl = options.DaprEntryTtlSeconds > 0
            ? new Dictionary<string, string>(1) { [InferenceMesh.Dapr.DaprMetadataKeys.TtlInSeconds] = options.DaprEntryTtlSeconds.ToString(CultureInfo.InvariantCulture) }
            : null;
        var saves = new List<StateTransactionRequest>(n + 1);
        for (var i = 0; i < n; i++)
        {
            var map = state.Blocks[i] ?? new Dictionary<string, long>(1, StringComparer.Ordinal);
            // Shallow blocks get the highest positions, so they stay live longest.
            map[endpoint] = ledger.Seq + (n - i);
            PruneDead(map, state, endpoint);
            saves.Add(Upsert(BlockKey(model, span[i]), map, DaprPrefixJsonContext.Default.DictionaryStringInt64, ttl));
        }
        saves.Add(Upsert(LedgerKey(model, endpoint), ledger with { Seq = ledger.Seq + n }, DaprPrefixJsonContext.Default.DaprLedger, null));
        await SaveAsync(saves, cancellationToken).ConfigureAwait(false);
        if (!existed)
            await UpdateRegistryAsync(r => AddEndpoint(r, model, endpoint), null, null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Drops entries of parties whose ledger was read and says they are no longer live (keeps values small).</summary>
    private static void PruneDead(Dictionary<string, long> map, ReadState state, string writer)
    {
        List<string>? dead = null;
        foreach (var (party, position) in map)
        {
            if (party != writer && state.Ledgers.TryGetValue(party, out var l) && !ReadState.IsLive(position, l.Ledger, l.Capacity))
                (dead ??= []).Add(party);
        }
        if (dead is null)
            return;
        foreach (var d in dead)
            map.Remove(d);
    }

    private async Task SaveAsync(List<StateTransactionRequest> saves, CancellationToken cancellationToken)
    {
        if (saves.Count == 0)
            return;
        metrics.RoundTrips.Add(1);
        await Call(() => dapr.ExecuteStateTransactionAsync(_store, saves, cancellationToken: cancellationToken)).ConfigureAwait(false);
    }

    private static StateTransactionRequest Upsert<T>(string key, T value, JsonTypeInfo<T> type, IReadOnlyDictionary<string, string>? metadata) =>
        new(key, JsonSerializer.SerializeToUtf8Bytes(value, type), StateOperationType.Upsert, metadata: metadata);

    private static byte[] Json<T>(T value, JsonTypeInfo<T> type) => JsonSerializer.SerializeToUtf8Bytes(value, type);

    private async Task<(DaprRegistry Registry, string? ETag)> ReadRegistryAsync(CancellationToken cancellationToken)
    {
        metrics.RoundTrips.Add(1);
        var (data, etag) = await Call(() => dapr.GetByteStateAndETagAsync(_store, RegistryKey, cancellationToken: cancellationToken)).ConfigureAwait(false);
        var registry = data.IsEmpty ? null : Parse(data, DaprPrefixJsonContext.Default.DaprRegistry);
        return registry is null || string.IsNullOrEmpty(etag)
            ? (new DaprRegistry(new Dictionary<string, List<string>>(StringComparer.Ordinal)), string.IsNullOrEmpty(etag) ? null : etag)
            : (registry, etag);
    }

    /// <summary>Read-modify-write of the registry with its ETag (first-write-wins), retried on conflicts.</summary>
    private async Task UpdateRegistryAsync(Func<DaprRegistry, bool> change, DaprRegistry? current, string? etag, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            if (current is null || attempt > 0)
                (current, etag) = await ReadRegistryAsync(cancellationToken).ConfigureAwait(false);
            if (!change(current))
                return;
            metrics.RoundTrips.Add(1);
            // First-write with the ETag read (none: the key must not exist yet); false = another replica changed the
            // registry in between: read again and re-apply.
            if (await Call(() => dapr.TrySaveByteStateAsync(_store, RegistryKey, Json(current, DaprPrefixJsonContext.Default.DaprRegistry), etag ?? string.Empty,
                    new StateOptions { Concurrency = ConcurrencyMode.FirstWrite }, cancellationToken: cancellationToken)).ConfigureAwait(false))
                return;
        }
    }

    private static bool AddEndpoint(DaprRegistry registry, string model, string endpoint)
    {
        if (!registry.Models.TryGetValue(model, out var endpoints))
            registry.Models[model] = endpoints = [];
        if (endpoints.Contains(endpoint))
            return false;
        endpoints.Add(endpoint);
        return true;
    }

    private static bool RemoveEndpoint(DaprRegistry registry, string endpoint)
    {
        var changed = false;
        foreach (var endpoints in registry.Models.Values)
            changed |= endpoints.Remove(endpoint);
        return changed;
    }

    private async Task<DaprLedger> ReadLedgerAsync(string key, CancellationToken cancellationToken)
    {
        metrics.RoundTrips.Add(1);
        var data = await Call(() => dapr.GetByteStateAsync(_store, key, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return (data.IsEmpty ? null : Parse(data, DaprPrefixJsonContext.Default.DaprLedger)) ?? new DaprLedger(0, 0);
    }

    private async Task<int> ReadCapacityAsync(string endpoint, CancellationToken cancellationToken)
    {
        metrics.RoundTrips.Add(1);
        var data = await Call(() => dapr.GetByteStateAsync(_store, CapacityKey(endpoint), cancellationToken: cancellationToken)).ConfigureAwait(false);
        var capacity = data.IsEmpty ? 0 : Parse(data, DaprPrefixJsonContext.Default.Int32);
        return capacity > 0 ? capacity : options.DefaultCapacity;
    }

    /// <summary>Tracks reachability for readiness: any sidecar/store failure marks the index unavailable until a call succeeds.</summary>
    private async Task<T> Call<T>(Func<Task<T>> call)
    {
        try
        {
            var result = await call().ConfigureAwait(false);
            _available = true;
            return result;
        }
        catch (DaprException)
        {
            _available = false;
            throw;
        }
    }

    private async Task Call(Func<Task> call)
        => await Call(async () =>
        {
            await call().ConfigureAwait(false);
            return true;
        }).ConfigureAwait(false);

    private static T? Parse<T>(ReadOnlyMemory<byte> json, JsonTypeInfo<T> type)
    {
        try
        {
            return JsonSerializer.Deserialize(json.Span, type);
        }
        catch (JsonException)
        {
            return default; // a foreign or corrupt value counts as absent; the next record overwrites it
        }
    }

    /// <summary>The bulk get answers values as strings (Dapr.Client has no byte variant for it).</summary>
    private static T? Parse<T>(string json, JsonTypeInfo<T> type) => Parse(Encoding.UTF8.GetBytes(json), type);

    private string BlockKey(string model, ulong hash) => string.Create(CultureInfo.InvariantCulture, $"{_root}|{model}|b|{hash:x16}");

    private string LedgerKey(string model, string endpoint) => $"{_root}|{model}|l|{endpoint}";

    private string CapacityKey(string endpoint) => $"{_root}|cap|{endpoint}";

    private string RegistryKey => _root + "|registry";

    private sealed class ReadState(ReadOnlyMemory<ulong> hashes, Dictionary<string, long>?[] blocks, Dictionary<string, (DaprLedger Ledger, bool Exists, int Capacity)> ledgers)
    {
        public ReadOnlyMemory<ulong> Hashes { get; } = hashes;

        public Dictionary<string, long>?[] Blocks { get; } = blocks;

        public Dictionary<string, (DaprLedger Ledger, bool Exists, int Capacity)> Ledgers { get; } = ledgers;

        public static bool IsLive(long position, DaprLedger ledger, int capacity)
            => position > Math.Max(ledger.Floor, ledger.Seq - capacity) && position <= ledger.Seq;

        public int[] Match(IReadOnlyList<string> candidates)
        {
            var result = new int[candidates.Count];
            for (var c = 0; c < candidates.Count; c++)
            {
                var (ledger, _, capacity) = Ledgers[candidates[c]];
                var m = 0;
                while (m < Blocks.Length && Blocks[m] is { } map && map.TryGetValue(candidates[c], out var position) && IsLive(position, ledger, capacity))
                    m++;
                result[c] = m;
            }
            return result;
        }
    }
}
