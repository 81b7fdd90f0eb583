using System.Text;
using System.Text.Json;
using Dapr;
using Dapr.Client;
using Grpc.Core;
using InferenceMesh.Contracts;
using InferenceMesh.Foundation.Tests.Support;

namespace InferenceMesh.Foundation.Tests.Dapr;

/// <summary>Contract tests: Dapr.Client's state calls, as the services make them, against the stand-in's gRPC API on a
/// real redis-server (state.redis layout).</summary>
public sealed class StateIntegrationTests(RedisFixture redis) : IClassFixture<RedisFixture>
{
    private const string Store = DaprNames.StateStore;

    private static PoolSnapshot Snapshot(long sequence) => new("pool-a", "collector-1", sequence, 1_700_000_000_000 + sequence,
        [new EndpointMetrics("10.0.0.1:8000", 2, 3, 0.5, [], [], 4, 16, 1000, 1_700_000_000_000, EndpointHealth.Healthy)]);

    private static byte[] Json(long sequence) => JsonSerializer.SerializeToUtf8Bytes(Snapshot(sequence), ContractsJsonContext.Default.PoolSnapshot);

    private static long Sequence(ReadOnlyMemory<byte> data) => JsonSerializer.Deserialize(data.Span, ContractsJsonContext.Default.PoolSnapshot)!.Sequence;

    private static StatusCode GrpcStatus(DaprException error) => Assert.IsType<RpcException>(error.InnerException).StatusCode;

    [Fact]
    public async Task SaveThenGet_RoundTripsTheExactBytes_WithIncreasingETags_InStateRedisLayout()
    {
        await using var sidecar = await Sidecar.StartAsync(redis.Server.Configuration, appId: "collector-rt");

        await sidecar.Client.SaveByteStateAsync(Store, "snapshot/pool-a", Json(1));
        var (first, firstETag) = await sidecar.Client.GetByteStateAndETagAsync(Store, "snapshot/pool-a");
        await sidecar.Client.SaveByteStateAsync(Store, "snapshot/pool-a", Json(2));
        var (second, secondETag) = await sidecar.Client.GetByteStateAndETagAsync(Store, "snapshot/pool-a");

        Assert.Equal(Json(1), first.ToArray());
        Assert.Equal("1", firstETag);
        Assert.Equal(2, Sequence(second));
        Assert.Equal("2", secondETag);
        var hash = await sidecar.StandIn.Redis.HashGetAllAsync("collector-rt||snapshot/pool-a");
        var fields = hash.ToDictionary(e => e.Name.ToString(), e => e.Value.ToString());
        Assert.Equal("2", fields["version"]);
        Assert.Equal(Encoding.UTF8.GetString(Json(2)), fields["data"]);
    }

    [Fact]
    public async Task Get_MissingKey_IsEmpty_WithNoETag()
    {
        await using var sidecar = await Sidecar.StartAsync(redis.Server.Configuration);

        var (data, etag) = await sidecar.Client.GetByteStateAndETagAsync(Store, "nope");

        Assert.True(data.IsEmpty);
        Assert.True(string.IsNullOrEmpty(etag));
    }

    [Fact]
    public async Task TrySave_WithAStaleETag_IsFalse_AndKeepsTheNewerValue()
    {
        await using var sidecar = await Sidecar.StartAsync(redis.Server.Configuration);
        await sidecar.Client.SaveByteStateAsync(Store, "k", Json(1));
        var (_, etag) = await sidecar.Client.GetByteStateAndETagAsync(Store, "k");

        var fresh = await sidecar.Client.TrySaveByteStateAsync(Store, "k", Json(2), etag);
        var stale = await sidecar.Client.TrySaveByteStateAsync(Store, "k", Json(3), etag, new StateOptions { Concurrency = ConcurrencyMode.FirstWrite });

        Assert.True(fresh);
        Assert.False(stale);
        Assert.Equal(2, Sequence(await sidecar.Client.GetByteStateAsync(Store, "k")));
    }

    [Fact]
    public async Task SaveState_WithAStaleETag_AnswersAborted_TheStatusTrySaveTurnsIntoFalse()
    {
        await using var sidecar = await Sidecar.StartAsync(redis.Server.Configuration);
        await sidecar.Client.SaveByteStateAsync(Store, "k", Json(1));
        await sidecar.Client.SaveByteStateAsync(Store, "k", Json(2));
        using var channel = global::Grpc.Net.Client.GrpcChannel.ForAddress(sidecar.StandIn.GrpcEndpoint);
        var raw = new global::Dapr.Client.Autogen.Grpc.v1.Dapr.DaprClient(channel);
        var request = new global::Dapr.Client.Autogen.Grpc.v1.SaveStateRequest { StoreName = Store };
        request.States.Add(new global::Dapr.Client.Autogen.Grpc.v1.StateItem
        {
            Key = "k",
            Value = Google.Protobuf.ByteString.CopyFrom(Json(3)),
            Etag = new global::Dapr.Client.Autogen.Grpc.v1.Etag { Value = "1" },
        });

        var error = await Assert.ThrowsAsync<RpcException>(async () => await raw.SaveStateAsync(request));

        Assert.Equal(StatusCode.Aborted, error.StatusCode);
        Assert.Contains("ERR_STATE_SAVE", error.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(2, Sequence(await sidecar.Client.GetByteStateAsync(Store, "k")));
    }

    [Fact]
    public async Task TrySave_WithAMalformedETag_IsInvalidArgument_NotAConflict()
    {
        await using var sidecar = await Sidecar.StartAsync(redis.Server.Configuration);

        var error = await Assert.ThrowsAnyAsync<DaprException>(() => sidecar.Client.TrySaveByteStateAsync(Store, "k", Json(1), "not-a-version"));

        Assert.Equal(StatusCode.InvalidArgument, GrpcStatus(error));
    }

    [Fact]
    public async Task FirstWrite_WithoutETag_OnAnExistingKey_IsRefused()
    {
        await using var sidecar = await Sidecar.StartAsync(redis.Server.Configuration);
        var firstWrite = new StateOptions { Concurrency = ConcurrencyMode.FirstWrite };

        var created = await sidecar.Client.TrySaveByteStateAsync(Store, "once", Json(1), string.Empty, firstWrite);
        var again = await sidecar.Client.TrySaveByteStateAsync(Store, "once", Json(2), string.Empty, firstWrite);

        Assert.True(created);
        Assert.False(again);
        Assert.Equal(1, Sequence(await sidecar.Client.GetByteStateAsync(Store, "once")));
    }

    [Fact]
    public async Task Save_WithTtlMetadata_Expires()
    {
        await using var sidecar = await Sidecar.StartAsync(redis.Server.Configuration, appId: "ttl-app");

        await sidecar.Client.SaveByteStateAsync(Store, "short", Json(1), metadata: new Dictionary<string, string> { ["ttlInSeconds"] = "1" });
        var ttl = await sidecar.StandIn.Redis.KeyTimeToLiveAsync("ttl-app||short");
        await Poll.UntilAsync(async () => (await sidecar.Client.GetByteStateAsync(Store, "short")).IsEmpty, "the key to expire");

        Assert.NotNull(ttl);
        Assert.InRange(ttl.Value, TimeSpan.Zero, TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task BulkGet_ReturnsPresentKeysWithETags_AndMissingOnesEmpty()
    {
        await using var sidecar = await Sidecar.StartAsync(redis.Server.Configuration);
        await sidecar.Client.SaveByteStateAsync(Store, "a", Json(1));
        await sidecar.Client.SaveByteStateAsync(Store, "b", Json(2));
        await sidecar.Client.SaveByteStateAsync(Store, "b", Json(3));

        var items = await sidecar.Client.GetBulkStateAsync(Store, ["a", "missing", "b"], parallelism: 16);

        var byKey = items.ToDictionary(i => i.Key);
        Assert.Equal(3, items.Count);
        Assert.Equal(Encoding.UTF8.GetString(Json(1)), byKey["a"].Value);
        Assert.Equal("1", byKey["a"].ETag);
        Assert.True(string.IsNullOrEmpty(byKey["missing"].Value));
        Assert.Equal("2", byKey["b"].ETag);
    }

    [Fact]
    public async Task Transaction_AppliesUpsertsAndDeletesTogether_OrNothingOnAStaleETag()
    {
        await using var sidecar = await Sidecar.StartAsync(redis.Server.Configuration);
        await sidecar.Client.SaveByteStateAsync(Store, "old", Json(1));

        await sidecar.Client.ExecuteStateTransactionAsync(Store, [
            new StateTransactionRequest("new", Json(5), StateOperationType.Upsert, metadata: new Dictionary<string, string> { ["ttlInSeconds"] = "3600" }),
            new StateTransactionRequest("old", null, StateOperationType.Delete, etag: "1"),
        ]);
        var failed = await Assert.ThrowsAnyAsync<DaprException>(() => sidecar.Client.ExecuteStateTransactionAsync(Store, [
            new StateTransactionRequest("other", Json(6), StateOperationType.Upsert),
            new StateTransactionRequest("new", null, StateOperationType.Delete, etag: "99"),
        ]));

        Assert.True((await sidecar.Client.GetByteStateAsync(Store, "old")).IsEmpty);
        Assert.Equal(5, Sequence(await sidecar.Client.GetByteStateAsync(Store, "new")));
        Assert.NotNull(await sidecar.StandIn.Redis.KeyTimeToLiveAsync(sidecar.StandIn.Options.AppId + "||new"));
        Assert.Equal(StatusCode.Internal, GrpcStatus(failed));
        Assert.True((await sidecar.Client.GetByteStateAsync(Store, "other")).IsEmpty);
    }

    [Fact]
    public async Task TryDelete_OnlyRemovesTheMatchingVersion()
    {
        await using var sidecar = await Sidecar.StartAsync(redis.Server.Configuration);
        await sidecar.Client.SaveByteStateAsync(Store, "d", Json(1));
        await sidecar.Client.SaveByteStateAsync(Store, "d", Json(2));

        var stale = await sidecar.Client.TryDeleteStateAsync(Store, "d", "1");
        var stillThere = await sidecar.Client.GetByteStateAsync(Store, "d");
        var matching = await sidecar.Client.TryDeleteStateAsync(Store, "d", "2");

        Assert.False(stale);
        Assert.False(stillThere.IsEmpty);
        Assert.True(matching);
        Assert.True((await sidecar.Client.GetByteStateAsync(Store, "d")).IsEmpty);
    }

    [Fact]
    public async Task UnknownStore_IsInvalidArgument()
    {
        await using var sidecar = await Sidecar.StartAsync(redis.Server.Configuration);

        var error = await Assert.ThrowsAnyAsync<DaprException>(() => sidecar.Client.GetByteStateAsync("nostore", "k"));

        Assert.Equal(StatusCode.InvalidArgument, GrpcStatus(error));
        Assert.Contains("ERR_STATE_STORE_NOT_FOUND", error.InnerException!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ApiToken_IsSentInMetadata_AndRequiredByTheSidecar_ButNotForHealth()
    {
        await using var guarded = await Sidecar.StartAsync(redis.Server.Configuration, configure: o => o with { ApiToken = "tok" });
        using var anonymous = Sidecar.CreateClient(guarded.StandIn.GrpcEndpoint, guarded.StandIn.HttpEndpoint, apiToken: null);

        await guarded.Client.SaveByteStateAsync(Store, "k", "\"v\""u8.ToArray());
        var denied = await Assert.ThrowsAnyAsync<DaprException>(() => anonymous.GetByteStateAsync(Store, "k"));

        Assert.Equal(StatusCode.Unauthenticated, GrpcStatus(denied));
        Assert.Equal("\"v\"", Encoding.UTF8.GetString((await guarded.Client.GetByteStateAsync(Store, "k")).Span));
        Assert.True(await anonymous.CheckOutboundHealthAsync());
    }

    [Fact]
    public async Task KeyPrefixName_SharesKeysBetweenApps_AsComponentsStatestoreConfiguresIt()
    {
        var prefix = "store-" + Guid.NewGuid().ToString("N")[..6];
        await using var collector = await Sidecar.StartAsync(redis.Server.Configuration, appId: AppIds.MetricsCollector, configure: o => o with { KeyPrefix = "name", StateStores = [prefix] });
        await using var scheduler = await Sidecar.StartAsync(redis.Server.Configuration, appId: AppIds.Scheduler, configure: o => o with { KeyPrefix = "name", StateStores = [prefix] });

        await collector.Client.SaveByteStateAsync(prefix, DaprNames.SnapshotKeyPrefix + "pool-a", Json(9));
        var seen = await scheduler.Client.GetByteStateAsync(prefix, DaprNames.SnapshotKeyPrefix + "pool-a");

        Assert.Equal(9, Sequence(seen));
        Assert.True(await scheduler.StandIn.Redis.KeyExistsAsync(prefix + "||snapshot/pool-a"));
    }

    [Fact]
    public async Task Health_IsTrueAgainstTheSidecar_AndFalseWhenNothingListens_AndCallsFailWithDaprException()
    {
        await using var sidecar = await Sidecar.StartAsync(redis.Server.Configuration);
        var port = DaprStandIn.RedisServerProcess.FreePort();
        using var nowhere = Sidecar.CreateClient(new Uri($"http://127.0.0.1:{port}"), new Uri($"http://127.0.0.1:{port}"), apiToken: null);
        using var soon = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        Assert.True(await sidecar.Client.CheckHealthAsync());
        await sidecar.Client.WaitForSidecarAsync(CancellationToken.None);
        Assert.False(await nowhere.CheckOutboundHealthAsync());
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => nowhere.WaitForSidecarAsync(soon.Token));
        var error = await Assert.ThrowsAnyAsync<DaprException>(() => nowhere.GetByteStateAsync(Store, "k"));
        Assert.Equal(StatusCode.Unavailable, GrpcStatus(error));
    }
}
