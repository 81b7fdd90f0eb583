using InferenceMesh.Kubernetes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace InferenceMesh.MetricsCollector.Tests;

/// <summary>The shared discovery choice (libs/Kubernetes) that ext-proc, the scheduler and the collector build on.</summary>
public sealed class PoolDiscoveryFactoryTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("discovery-factory-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static IReadOnlyList<string> Validate(DiscoveryOptions options, string root) =>
        PoolDiscoveryFactory.Validate(options, root, "Discovery:Mode", "Discovery:PoolFile", "Discovery:PoolFilePollInterval");

    [Fact]
    public void Validate_NoneWithoutPoolFile_IsValid_AndCreatesAnEmptyDiscovery()
    {
        var options = new DiscoveryOptions();

        Assert.Empty(Validate(options, _dir));
        var discovery = PoolDiscoveryFactory.Create(options, _dir, TimeProvider.System, NullLoggerFactory.Instance, watchPods: false);
        Assert.IsType<NoPoolDiscovery>(discovery);
        Assert.Same(PoolView.Empty, discovery.Current);
    }

    [Fact]
    public void Validate_FileModeWithoutFile_NamesThePoolFileKey()
    {
        var missing = Validate(new DiscoveryOptions { Mode = DiscoveryMode.File, PoolFile = "nope.yaml" }, _dir);
        var unset = Validate(new DiscoveryOptions { Mode = DiscoveryMode.File }, _dir);

        Assert.Contains(missing, f => f.StartsWith("Discovery:PoolFile: file not found: " + Path.Combine(_dir, "nope.yaml"), StringComparison.Ordinal));
        Assert.Contains(unset, f => f.StartsWith("Discovery:PoolFile is required", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_UndefinedModeOrTinyPollInterval_NamesTheKey()
    {
        var mode = Validate(new DiscoveryOptions { Mode = (DiscoveryMode)42 }, _dir);
        var poll = Validate(new DiscoveryOptions { PoolFilePollInterval = TimeSpan.FromMilliseconds(1) }, _dir);

        Assert.Contains(mode, f => f.StartsWith("Discovery:Mode", StringComparison.Ordinal));
        Assert.Contains(poll, f => f.StartsWith("Discovery:PoolFilePollInterval", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Create_FileModeWithRelativePath_ReadsThePoolFileUnderTheContentRoot()
    {
        await File.WriteAllTextAsync(Path.Combine(_dir, "pool.yaml"), """
            apiVersion: inference.networking.x-k8s.io/v1alpha2
            kind: InferencePool
            metadata:
              name: p
              annotations:
                inference.networking.x-k8s.io/routing-strategy: PREFIX_CACHE
            spec:
              targetPortNumber: 8000
              selector:
                app: p
            """);
        var options = new DiscoveryOptions { Mode = DiscoveryMode.Auto, PoolFile = "pool.yaml" };

        // Outside a pod Auto means the file.
        Assert.Empty(Validate(options, _dir));
        var discovery = Assert.IsType<PoolFileDiscovery>(PoolDiscoveryFactory.Create(options, _dir, TimeProvider.System, NullLoggerFactory.Instance, watchPods: false));
        Assert.True(discovery.Reload());
        Assert.Equal("PREFIX_CACHE", Assert.Single(discovery.Current.Pools).Annotations[Contracts.PoolAnnotations.RoutingStrategy]);
    }

    [Fact]
    public async Task Collector_DiscoveryNone_FailsAtStartNamingItsKey()
    {
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => CollectorHost.StartAsync(CollectorHost.PoolYaml("p", []), s => s["Collector:Discovery"] = "None"));

        Assert.Contains("Collector:Discovery must be Auto, Kubernetes or File", ex.Message, StringComparison.Ordinal);
    }
}
