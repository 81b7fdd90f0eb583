using System.Diagnostics.Metrics;
using InferenceMesh.Contracts;
using InferenceMesh.Dapr;
using InferenceMesh.Kubernetes;
using InferenceMesh.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace InferenceMesh.MetricsCollector.Tests;

/// <summary>One scraper, one scrape at a time, against a real Kestrel model server.</summary>
public sealed class ScraperTests : IAsyncLifetime, IDisposable
{
    private static readonly CollectorOptions Options = new() { ScrapeTimeout = TimeSpan.FromSeconds(10), MaxResponseBytes = 256 * 1024 };

    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly ScrapeClient _client = new(Microsoft.Extensions.Options.Options.Create(Options));
    private FakeModelServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeModelServer.StartAsync();

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        await _services.DisposeAsync();
    }

    public void Dispose() => _client.Dispose();

    private (EndpointState State, EndpointScraper Scraper) NewScraper(string engine = "vllm")
    {
        var state = new EndpointState(new DiscoveredEndpoint(_server.Address, "p", engine, "pod"), Options, TimeProvider.System);
        var metrics = new CollectorMetrics(_services.GetRequiredService<IMeterFactory>());
        return (state, new EndpointScraper(state, _client.Http, Options, TimeProvider.System, metrics, NullLogger.Instance));
    }

    [Fact]
    public async Task ScrapeOnce_AfterTheServerChanged_ReflectsTheNewNumbersAtOnce()
    {
        var (state, scraper) = NewScraper();
        using var _ = scraper;
        _server.Body = Fixtures.Vllm(1, 2, 0.125);
        await scraper.ScrapeOnceAsync(CancellationToken.None);
        Assert.Equal((1, 2, 0.125), (state.Read().Metrics!.Waiting, state.Read().Metrics!.Running, state.Read().Metrics!.KvUsage));

        // A single scrape is enough: the collector never lags the server by more than one interval.
        _server.Body = Fixtures.Vllm(9, 8, 0.875, "x", "y", 1);
        await scraper.ScrapeOnceAsync(CancellationToken.None);
        var m = state.Read().Metrics!;
        Assert.Equal((9, 8, 0.875), (m.Waiting, m.Running, m.KvUsage));
        Assert.Equal(["x"], m.RunningLoras);
        Assert.Equal(EndpointHealth.Healthy, state.Read().Health);
    }

    [Fact]
    public async Task ScrapeOnce_ExpositionLargerThanTheFirstBuffer_GrowsAndParses()
    {
        var (state, scraper) = NewScraper();
        using var _ = scraper;
        _server.Body = System.Text.Encoding.UTF8.GetString(Fixtures.LargeVllm(1200)); // > 64 KiB, < 256 KiB
        Assert.True(_server.Body.Length > 64 * 1024);
        await scraper.ScrapeOnceAsync(CancellationToken.None);
        Assert.Equal(EndpointHealth.Healthy, state.Read().Health);
        Assert.Equal("a,b", string.Join(',', state.Read().Metrics!.RunningLoras));
    }

    [Fact]
    public async Task ScrapeOnce_ExpositionOverTheLimit_FailsAsTooLarge()
    {
        var (state, scraper) = NewScraper();
        using var _ = scraper;
        _server.Body = System.Text.Encoding.UTF8.GetString(Fixtures.LargeVllm(6000)); // > 256 KiB
        await scraper.ScrapeOnceAsync(CancellationToken.None);
        Assert.Contains("larger than", state.Read().LastError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ScrapeOnce_UnknownEngineLabel_FailsWithoutCallingTheServer()
    {
        var (state, scraper) = NewScraper("llama.cpp");
        using var _ = scraper;
        var before = _server.Scrapes;
        await scraper.ScrapeOnceAsync(CancellationToken.None);
        Assert.Contains("unknown engine type 'llama.cpp'", state.Read().LastError, StringComparison.Ordinal);
        Assert.Equal(before, _server.Scrapes);
    }

    [Fact]
    public async Task ScrapeOnce_SGLangEngine_UsesSGLangNames()
    {
        var (state, scraper) = NewScraper("sglang");
        using var _ = scraper;
        _server.Body = Fixtures.SGLang;
        await scraper.ScrapeOnceAsync(CancellationToken.None);
        Assert.Equal(4, state.Read().Metrics!.Waiting);
    }
}

/// <summary>The publisher's tick with virtual time: throttled saves, monotonic sequence.</summary>
public sealed class SnapshotPublisherTests : IDisposable
{
    private readonly ServiceProvider _services;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 22, 3, 0, 0, TimeSpan.Zero));
    private readonly List<PoolSnapshot> _published = [];
    private readonly CollectorHost.RecordingStore _store = new();

    public SnapshotPublisherTests()
    {
        _services = new ServiceCollection().AddMetrics().AddSingleton<ISnapshotStore>(_store).BuildServiceProvider();
    }

    public void Dispose() => _services.Dispose();

    private sealed class StaticDiscovery(PoolView view) : IPoolDiscovery
    {
        public PoolView Current => view;

        public event Action<PoolView>? Changed { add { } remove { } }

        public Task RunAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }

    private sealed class ListPublisher(List<PoolSnapshot> into) : IEventPublisher
    {
        public ValueTask PublishAsync<T>(string pubsubName, string topic, T data, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> typeInfo,
            CancellationToken cancellationToken = default)
        {
            Assert.Equal(DaprNames.FanOutPubSub, pubsubName);
            Assert.Equal(DaprNames.EndpointMetricsTopic, topic);
            lock (into)
                into.Add((PoolSnapshot)(object)data!);
            return ValueTask.CompletedTask;
        }
    }

    private SnapshotPublisher NewPublisher(params string[] pools)
    {
        var view = new PoolView(
            [.. pools.Select(p => new InferencePoolSpec(p, "default", new Dictionary<string, string> { ["app"] = p }, [8000], new Dictionary<string, string>()))],
            [], []);
        var options = Options.Create(new CollectorOptions { SnapshotSaveInterval = TimeSpan.FromSeconds(1) });
        var discovery = new StaticDiscovery(view);
        var metrics = new CollectorMetrics(_services.GetRequiredService<IMeterFactory>());
        var scrapes = new ScrapeManager(discovery, new ScrapeClient(options), options, _time, metrics, NullLoggerFactory.Instance);
        return new SnapshotPublisher(scrapes, discovery, new ListPublisher(_published), _services, options,
            new ServiceIdentity(AppIds.MetricsCollector, "collector-0"), _time, metrics, NullLogger<SnapshotPublisher>.Instance);
    }

    [Fact]
    public async Task PublishTick_SavesEachPoolAtMostOncePerSaveInterval()
    {
        using var publisher = NewPublisher("a", "b");
        for (var i = 0; i < 30; i++)
        {
            await publisher.PublishTickAsync(CancellationToken.None);
            _time.Advance(TimeSpan.FromMilliseconds(100));
        }
        Assert.Equal(60, _published.Count);
        // 30 ticks of 100 ms = 3 s: saves at 0, 1.0, 2.0 s for each pool.
        Assert.Equal(3, _store.Saved.Count(s => s.Pool == "a"));
        Assert.Equal(3, _store.Saved.Count(s => s.Pool == "b"));
    }

    [Fact]
    public async Task PublishTick_SequenceStrictlyIncreases_StartingFromTheClock()
    {
        using var publisher = NewPublisher("a", "b");
        for (var i = 0; i < 5; i++)
            await publisher.PublishTickAsync(CancellationToken.None);
        var sequences = _published.Select(s => s.Sequence).ToList();
        Assert.True(sequences.Zip(sequences.Skip(1)).All(p => p.Second > p.First));
        Assert.True(sequences[0] > _time.GetUtcNow().ToUnixTimeMilliseconds() * 1000 - 1000);
        Assert.All(_published, s => Assert.Equal("collector-0", s.CollectorId));
        Assert.Equal("b", publisher.Latest("b")!.Pool);
        Assert.Empty(publisher.Latest("a")!.Endpoints);
    }
}
