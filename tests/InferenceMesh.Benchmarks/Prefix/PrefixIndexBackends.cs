using InferenceMesh.Contracts;
using Dapr.Client;
using InferenceMesh.Prefix.Index;
using StackExchange.Redis;

namespace InferenceMesh.Benchmarks.Prefix;

/// <summary>One backend with everything it needs: memory; redis on a loopback redis-server; dapr through the Dapr stand-in
/// (tests/DaprStandIn: daprd's gRPC state API, through Dapr.Client, over the same kind of Redis — a real daprd adds its own hop cost, ≈0.3 ms).</summary>
internal sealed class PrefixIndexBackends : IAsyncDisposable
{
    private DaprStandIn.RedisServerProcess? _redisServer;
    private ConnectionMultiplexer? _redis;
    private DaprStandIn.DaprStandIn? _standIn;
    private DaprClient? _dapr;

    public IPrefixIndex Index { get; private set; } = null!;

    public PrefixIndexMetrics Metrics { get; } = new();

    /// <summary>The multiplexer of the redis backend (null for the others; admin commands allowed), for counting the
    /// commands it sends and for INFO.</summary>
    public IConnectionMultiplexer? Redis => _redis;

    public static async Task<PrefixIndexBackends> StartAsync(string backend, PrefixIndexOptions options)
    {
        var b = new PrefixIndexBackends();
        switch (backend)
        {
            case "memory":
                b.Index = PrefixIndexFactory.CreateMemory(options, b.Metrics);
                break;
            case "redis":
                b._redisServer = DaprStandIn.RedisServerProcess.Start();
                b._redis = await ConnectionMultiplexer.ConnectAsync(PrefixIndexFactory.RedisConfigurationFor(options with
                {
                    Backend = "redis",
                    Redis = $"127.0.0.1:{b._redisServer.Port},allowAdmin=true,protocol=resp3",
                }));
                b.Index = PrefixIndexFactory.CreateRedis(b._redis, options, b.Metrics);
                break;
            case "dapr":
                b._redisServer = DaprStandIn.RedisServerProcess.Start();
                b._standIn = await DaprStandIn.DaprStandIn.StartAsync(new DaprStandIn.DaprStandInOptions { AppId = AppIds.PrefixIndex, Redis = b._redisServer.Configuration });
                b._dapr = new DaprClientBuilder().UseGrpcEndpoint(b._standIn.GrpcEndpoint.ToString()).UseHttpEndpoint(b._standIn.HttpEndpoint.ToString()).Build();
                b.Index = PrefixIndexFactory.CreateDapr(b._dapr, options, b.Metrics);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(backend), backend, "memory, redis or dapr");
        }
        return b;
    }

    public async ValueTask DisposeAsync()
    {
        _dapr?.Dispose();
        if (_standIn is not null)
            await _standIn.DisposeAsync();
        if (_redis is not null)
            await _redis.DisposeAsync();
        _redisServer?.Dispose();
        Metrics.Dispose();
    }
}
