using InferenceMesh.Contracts;
using InferenceMesh.Scheduling;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace InferenceMesh.Scheduler.Tests;

public sealed class ProfileConfigTests
{
    /// <summary>A profile the built-ins lack: KV headroom only, behind a low-queue filter.</summary>
    private const string KvOnly = """
        apiVersion: inference.networking.x-k8s.io/v1alpha1
        kind: EndpointPickerConfig
        plugins:
        - type: kv-cache-utilization-scorer
        - name: short-queues
          type: low-queue-filter
          parameters:
            threshold: 2
        schedulingProfiles:
        - name: KV_ONLY
          plugins:
          - pluginRef: short-queues
          - pluginRef: kv-cache-utilization-scorer
            weight: 1
        """;

    private static Dictionary<string, string> Strategy(string s) => new() { [PoolAnnotations.RoutingStrategy] = s };

    [Fact]
    public void BuiltIn_ExpressesDefaultPrefixCacheAndPredictedTtft()
    {
        var profiles = ProfileConfig.Load(new SchedulerOptions());

        var d = profiles[PoolAnnotations.StrategyDefault];
        Assert.Equal([typeof(QueueScorer), typeof(KvCacheScorer), typeof(LoraScorer), typeof(InFlightScorer)], d.Scorers.Select(s => s.GetType()));
        Assert.Equal([2.0, 2, 1, 2], d.Weights);
        Assert.False(d.UsesPrefix);
        var p = profiles[PoolAnnotations.StrategyPrefixCache];
        Assert.Equal([typeof(QueueScorer), typeof(KvCacheScorer), typeof(PrefixScorer), typeof(LoraScorer), typeof(InFlightScorer)], p.Scorers.Select(s => s.GetType()));
        Assert.Equal([2.0, 2, 3, 1, 1], p.Weights);
        Assert.True(p.UsesPrefix);
        var t = profiles[SchedulerOptions.PredictedTtftProfile];
        Assert.IsType<PredictedTtftScorer>(Assert.Single(t.Scorers));
        Assert.IsType<MaxScorePicker>(t.Selector);
    }

    [Fact]
    public async Task CustomProfileFromYaml_RoutesWithIt()
    {
        using var fleet = new Fleet(new SchedulerOptions { ConfigText = KvOnly });
        fleet.Service.ConfigurePool(Fleet.Pool, Strategy("KV_ONLY"));
        // DEFAULT would take a:1 (shortest queue); KV_ONLY takes the most KV headroom among queues of at most 2.
        fleet.Snapshot(Fleet.Endpoint("a:1", waiting: 0, kv: 0.5), Fleet.Endpoint("b:1", waiting: 2, kv: 0.2), Fleet.Endpoint("c:1", waiting: 3, kv: 0.0));

        var r = await fleet.Schedule(fleet.Request()).Within();

        Assert.Equal("b:1", r.Endpoint);
        Assert.Equal(["a:1"], r.Fallbacks);
        Assert.Equal("KV_ONLY", fleet.Service.GetPoolStatus()[0].Profile);
    }

    [Fact]
    public async Task ConfigFile_ReplacesTheBuiltInProfileOfTheSameName()
    {
        var path = Path.Combine(Path.GetTempPath(), $"profiles-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(path, KvOnly.Replace("KV_ONLY", "DEFAULT", StringComparison.Ordinal));
        try
        {
            using var fleet = new Fleet(new SchedulerOptions { ConfigFile = path });
            fleet.Snapshot(Fleet.Endpoint("a:1", waiting: 0, kv: 0.5), Fleet.Endpoint("b:1", waiting: 1, kv: 0.2));

            var r = await fleet.Schedule(fleet.Request()).Within();

            Assert.Equal("b:1", r.Endpoint);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task SampleConfigFile_InDeploy_LoadsAndItsProfilesRoute()
    {
        var options = new SchedulerOptions { ConfigFile = RepoPaths.Path("deploy", "local", "scheduler-profiles.yaml") };
        Assert.Empty(options.Validate(new System.ComponentModel.DataAnnotations.ValidationContext(options)));
        using var fleet = new Fleet(options, prefix: new FakePrefixIndex { Matches = { ["c:1"] = 10 } });
        fleet.Service.ConfigurePool(Fleet.Pool, Strategy("PREFIX_LOCAL"));
        // c:1 holds the prefix but its queue is past the filter's threshold of 3; b:1 wins on queue among the short ones.
        fleet.Snapshot(Fleet.Endpoint("a:1", waiting: 2), Fleet.Endpoint("b:1", waiting: 1), Fleet.Endpoint("c:1", waiting: 4));

        var r = await fleet.Schedule(fleet.Request(hashes: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])).Within();

        Assert.Equal("b:1", r.Endpoint);
    }

    [Theory]
    [InlineData("plugins:\n- type: nope-scorer\nschedulingProfiles:\n- name: X\n  plugins:\n  - pluginRef: nope-scorer\n",
        "Scheduler:ConfigText: plugins[0].type: unknown plugin type 'nope-scorer'")]
    [InlineData("plugins:\n- type: queue-scorer\nschedulingProfiles:\n- name: X\n  plugins:\n  - pluginRef: ghost\n",
        "Scheduler:ConfigText: schedulingProfiles[0] (X).plugins[0].pluginRef: 'ghost' names no plugin")]
    [InlineData("plugins:\n- type: queue-scorer\nschedulingProfiles:\n- name: X\n  plugins:\n  - weight: 2\n",
        "Scheduler:ConfigText: schedulingProfiles[0] (X).plugins[0].pluginRef: is required")]
    [InlineData("plugins:\n- type: max-score-picker\n  parameters:\n    tye: 1\nschedulingProfiles:\n- name: X\n  plugins:\n  - pluginRef: max-score-picker\n",
        "Scheduler:ConfigText: plugins[0].parameters.tye: is not a parameter")]
    [InlineData("plugins:\n- type: max-score-picker\nschedulingProfiles:\n- name: X\n  plugins:\n  - pluginRef: max-score-picker\n    weight: 2\n",
        "Scheduler:ConfigText: schedulingProfiles[0] (X).plugins[0].weight: only scorers take a weight")]
    [InlineData("plugins:\n- type: queue-scorer\n  colour: red\n", "Scheduler:ConfigText: invalid EndpointPickerConfig at line 3")]
    public async Task Start_InvalidConfig_FailsNamingTheKey(string yaml, string expected)
    {
        await using var app = SchedulerHost.Build(new Dictionary<string, string?> { ["Scheduler:ConfigText"] = yaml });

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_MissingConfigFile_FailsNamingTheKey()
    {
        await using var app = SchedulerHost.Build(new Dictionary<string, string?> { ["Scheduler:ConfigFile"] = "/nonexistent/profiles.yaml" });

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());

        Assert.Contains("Scheduler:ConfigFile: cannot read '/nonexistent/profiles.yaml'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_PoolStrategyNamingAConfiguredProfile_IsAccepted()
    {
        await using var host = await SchedulerHost.StartAsync(new Dictionary<string, string?>
        {
            ["Scheduler:ConfigText"] = KvOnly,
            ["Scheduler:Pools:pool-a:RoutingStrategy"] = "KV_ONLY",
        });

        var options = host.Services.GetRequiredService<IOptions<SchedulerOptions>>().Value;

        Assert.Equal("KV_ONLY", options.Pools["pool-a"].RoutingStrategy);
    }
}
