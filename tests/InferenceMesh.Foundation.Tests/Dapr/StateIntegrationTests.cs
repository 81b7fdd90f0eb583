using System.Net;
using System.Text;
using InferenceMesh.Contracts;
using InferenceMesh.Dapr;
using InferenceMesh.Foundation.Tests.Support;

namespace InferenceMesh.Foundation.Tests.Dapr;

/// <summary>The Dapr client's state API against the stand-in on a real redis-server.</summary>
public sealed class StateIntegrationTests(RedisFixture redis) : IClassFixture<RedisFixture>
{
    private const string Store = DaprNames.StateStore;

    private static PoolSnapshot Snapshot(long sequence) => new("pool-a", "collector-1", sequence, 1_700_000_000_000 + sequence,
        [new EndpointMetrics("10.0.0.1:8000", 2, 3, 0.5, [], [], 4, 16, 1000, 1_700_000_000_000, EndpointHealth.Healthy)]);

    [Fact]
    public async Task SaveThenGet_RoundTrips_WithIncreasingETags_InStateRedisLayout()
    {
        await using var sidecar = await Sidecar.StartAsync(redis.Server.Options, appId: "collector-rt");
        var json = ContractsJsonContext.Default.PoolSnapshot;

        await sidecar.Client.SaveStateAsync(Store, "snapshot/pool-a", Snapshot(1), json);
        var first = await sidecar.Client.GetStateAsync(Store, "snapshot/pool-a", json);
        await sidecar.Client.SaveStateAsync(Store, "snapshot/pool-a", Snapshot(2), json);
        var second = await sidecar.Client.GetStateAsync(Store, "snapshot/pool-a", json);

        Assert.NotNull(first);
        Assert.Equal(1, first.Value.Sequence);
        Assert.Equal("10.0.0.1:8000", first.Value.Endpoints[0].Address);
        Assert.Equal("1", first.ETag);
        Assert.Equal(2, second!.Value.Sequence);
        Assert.Equal("2", second.ETag);
        var hash = await sidecar.StandIn.Redis.ExecuteAsync("HGETALL", "collector-rt||snapshot/pool-a");
        var fields = new Dictionary<string, string?>();
        for (var i = 0; i < hash.Count; i += 2)
            fields[hash[i].AsString()!] = hash[i + 1].AsString();
        Assert.Equal("2", fields["version"]);
        Assert.Contains("\"sequence\":2", fields["data"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_MissingKey_ReturnsNull()
    {
        await using var sidecar = await Sidecar.StartAsync(redis.Server.Options);

        Assert.Null(await sidecar.Client.GetStateAsync(Store, "nope", ContractsJsonContext.Default.PoolSnapshot));
        Assert.Null(await sidecar.Client.GetStateRawAsync(Store, "nope"));
    }

    [Fact]
    public async Task Save_WithStaleETag_ThrowsETagMismatch409_AndKeepsTheNewerValue()
    {
        await using var sidecar = await Sidecar.StartAsync(redis.Server.Options);
        var json = ContractsJsonContext.Default.PoolSnapshot;
        await sidecar.Client.SaveStateAsync(Store, "k", Snapshot(1), json);
        var read = await sidecar.Client.GetStateAsync(Store, "k", json);
        await sidecar.Client.SaveStateAsync(Store, "k", Snapshot(2), json, new StateWriteOptions(ETag: read!.ETag));

        var error = await Assert.ThrowsAsync<DaprETagMismatchException>(() =>
            sidecar.Client.SaveStateAsync(Store, "k", Snapshot(3), json, new StateWriteOptions(ETag: read.ETag, Concurrency: StateConcurrency.FirstWrite)));

        Assert.Equal(HttpStatusCode.Conflict, error.StatusCode);
        Assert.Equal("ERR_STATE_SAVE", error.ErrorCode);
        Assert.Equal(2, (await sidecar.Client.GetStateAsync(Store, "k", json))!.Value.Sequence);
    }

    [Fact]
    public async Task Save_WithMalformedETag_Is400()
    {
        await using var sidecar = await Sidecar.StartAsync(redis.Server.Options);

        var error = await Assert.ThrowsAsync<DaprApiException>(() =>
            sidecar.Client.SaveStateAsync(Store, "k", Snapshot(1), ContractsJsonContext.Default.PoolSnapshot, new StateWriteOptions(ETag: "not-a-version")));

        Assert.Equal(HttpStatusCode.BadRequest, error.StatusCode);
        Assert.IsNotType<DaprETagMismatchException>(error);
    }

    [Fact]
    public async Task FirstWrite_WithoutETag_OnAnExistingKey_Conflicts()
    {
        await using var sidecar = await Sidecar.StartAsync(redis.Server.Options);
        var json = ContractsJsonContext.Default.PoolSnapshot;
        await sidecar.Client.SaveStateAsync(Store, "once", Snapshot(1), json, new StateWriteOptions(Concurrency: StateConcurrency.FirstWrite));

        await Assert.ThrowsAsync<DaprETagMismatchException>(() =>
            sidecar.Client.SaveStateAsync(Store, "once", Snapshot(2), json, new StateWriteOptions(Concurrency: StateConcurrency.FirstWrite)));
    }

    [Fact]
    public async Task Save_WithTtl_Expires()
    {
        await using var sidecar = await Sidecar.StartAsync(redis.Server.Options, appId: "ttl-app");
        var json = ContractsJsonContext.Default.PoolSnapshot;

        await sidecar.Client.SaveStateAsync(Store, "short", Snapshot(1), json, new StateWriteOptions(TtlInSeconds: 1));
        var ttl = (await sidecar.StandIn.Redis.ExecuteAsync("TTL", "ttl-app||short")).AsInt64();
        await Poll.UntilAsync(async () => await sidecar.Client.GetStateRawAsync(Store, "short") is null, "the key to expire");

        Assert.InRange(ttl, 0, 1);
    }

    [Fact]
    public async Task BulkGet_ReturnsPresentKeysWithETags_AndMarksMissingOnes()
    {
        await using var sidecar = await Sidecar.StartAsync(redis.Server.Options);
        var json = ContractsJsonContext.Default.PoolSnapshot;
        await sidecar.Client.SaveStatesAsync(Store, [StateSaveItem.Create("a", Snapshot(1), json), StateSaveItem.Create("b", Snapshot(2), json)]);
        await sidecar.Client.SaveStateAsync(Store, "b", Snapshot(3), json);

        var raw = await sidecar.Client.GetBulkStateRawAsync(Store, ["a", "missing", "b"]);
        var typed = await sidecar.Client.GetBulkStateAsync(Store, ["b", "missing", "a"], json);

        Assert.Equal(["a", "missing", "b"], raw.Select(r => r.Key));
        Assert.True(raw[0].Exists);
        Assert.False(raw[1].Exists);
        Assert.Equal("2", raw[2].ETag);
        Assert.Equal([("b", 3L, "2"), ("a", 1L, "1")], typed.Select(t => (t.Key, t.Value.Sequence, t.ETag!)));
    }

    [Fact]
    public async Task Transaction_AppliesUpsertsAndDeletesTogether_OrNothingOnAStaleETag()
    {
        await using var sidecar = await Sidecar.StartAsync(redis.Server.Options);
        var json = ContractsJsonContext.Default.PoolSnapshot;
        await sidecar.Client.SaveStateAsync(Store, "old", Snapshot(1), json);

        await sidecar.Client.ExecuteStateTransactionAsync(Store, [
            StateOperation.Upsert(StateSaveItem.Create("new", Snapshot(5), json)),
            StateOperation.Delete("old", etag: "1"),
        ]);
        var failed = await Assert.ThrowsAsync<DaprApiException>(() => sidecar.Client.ExecuteStateTransactionAsync(Store, [
            StateOperation.Upsert(StateSaveItem.Create("other", Snapshot(6), json)),
            StateOperation.Delete("new", etag: "99"),
        ]));

        Assert.Null(await sidecar.Client.GetStateRawAsync(Store, "old"));
        Assert.Equal(5, (await sidecar.Client.GetStateAsync(Store, "new", json))!.Value.Sequence);
        Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
        Assert.Equal("ERR_STATE_TRANSACTION", failed.ErrorCode);
        Assert.Null(await sidecar.Client.GetStateRawAsync(Store, "other"));
    }

    [Fact]
    public async Task Delete_WithIfMatch_OnlyRemovesTheMatchingVersion()
    {
        await using var sidecar = await Sidecar.StartAsync(redis.Server.Options);
        var json = ContractsJsonContext.Default.PoolSnapshot;
        await sidecar.Client.SaveStateAsync(Store, "d", Snapshot(1), json);
        await sidecar.Client.SaveStateAsync(Store, "d", Snapshot(2), json);

        var stale = await Assert.ThrowsAsync<DaprETagMismatchException>(() => sidecar.Client.DeleteStateAsync(Store, "d", etag: "1"));
        var stillThere = await sidecar.Client.GetStateRawAsync(Store, "d");
        await sidecar.Client.DeleteStateAsync(Store, "d", etag: "2");

        Assert.Equal("ERR_STATE_DELETE", stale.ErrorCode);
        Assert.NotNull(stillThere);
        Assert.Null(await sidecar.Client.GetStateRawAsync(Store, "d"));
    }

    [Fact]
    public async Task UnknownStore_IsABadRequestWithDaprErrorCode()
    {
        await using var sidecar = await Sidecar.StartAsync(redis.Server.Options);

        var error = await Assert.ThrowsAsync<DaprApiException>(() => sidecar.Client.GetStateRawAsync("nostore", "k"));

        Assert.Equal(HttpStatusCode.BadRequest, error.StatusCode);
        Assert.Equal("ERR_STATE_STORE_NOT_FOUND", error.ErrorCode);
    }

    [Fact]
    public async Task ApiToken_IsSentWhenConfigured_AndRequiredByTheSidecar()
    {
        await using var guarded = await Sidecar.StartAsync(redis.Server.Options, configure: o => o with { ApiToken = "tok" });
        using var anonymous = DaprClient.Create(new DaprClientOptions { HttpEndpoint = guarded.StandIn.HttpEndpoint.ToString() });

        await guarded.Client.SaveStatesAsync(Store, [new StateSaveItem("k", Encoding.UTF8.GetBytes("\"v\""))]);
        var denied = await Assert.ThrowsAsync<DaprApiException>(() => anonymous.GetStateRawAsync(Store, "k"));

        Assert.Equal(HttpStatusCode.Unauthorized, denied.StatusCode);
        Assert.Equal("\"v\"", Encoding.UTF8.GetString((await guarded.Client.GetStateRawAsync(Store, "k"))!.Data.Span));
        Assert.True(await anonymous.CheckOutboundHealthAsync());
    }

    [Fact]
    public async Task KeyPrefixName_SharesKeysBetweenApps_AsComponentsStatestoreConfiguresIt()
    {
        var prefix = "store-" + Guid.NewGuid().ToString("N")[..6];
        await using var collector = await Sidecar.StartAsync(redis.Server.Options, appId: AppIds.MetricsCollector, configure: o => o with { KeyPrefix = "name", StateStores = [prefix] });
        await using var scheduler = await Sidecar.StartAsync(redis.Server.Options, appId: AppIds.Scheduler, configure: o => o with { KeyPrefix = "name", StateStores = [prefix] });
        var json = ContractsJsonContext.Default.PoolSnapshot;

        await collector.Client.SaveStateAsync(prefix, DaprNames.SnapshotKeyPrefix + "pool-a", Snapshot(9), json);
        var seen = await scheduler.Client.GetStateAsync(prefix, DaprNames.SnapshotKeyPrefix + "pool-a", json);

        Assert.Equal(9, seen!.Value.Sequence);
        Assert.Equal(1, (await scheduler.StandIn.Redis.ExecuteAsync("EXISTS", prefix + "||snapshot/pool-a")).AsInt64());
    }

    [Fact]
    public async Task Health_IsTrueAgainstTheSidecar_AndFalseWhenNothingListens()
    {
        await using var sidecar = await Sidecar.StartAsync(redis.Server.Options);
        using var nowhere = DaprClient.Create(new DaprClientOptions { HttpEndpoint = $"http://127.0.0.1:{DaprStandIn.RedisServerProcess.FreePort()}", RequestTimeoutSeconds = 5 });

        Assert.True(await sidecar.Client.CheckHealthAsync());
        Assert.True(await sidecar.Client.WaitForSidecarAsync(TimeSpan.FromSeconds(30)));
        Assert.False(await nowhere.CheckOutboundHealthAsync());
        Assert.False(await nowhere.WaitForSidecarAsync(TimeSpan.Zero));
        var error = await Assert.ThrowsAsync<DaprApiException>(() => nowhere.GetStateRawAsync(Store, "k"));
        Assert.Equal("ERR_SIDECAR_UNREACHABLE", error.ErrorCode);
    }
}
