using System.Text.Json.Nodes;
using InferenceMesh.Contracts;
using InferenceMesh.Deploy.Tests.Support;

namespace InferenceMesh.Deploy.Tests;

/// <summary>The cluster's Dapr components agree with libs/Contracts (names, app-ids) and the pub/sub topology.</summary>
public sealed class DaprComponentTests
{
    public static TheoryData<string> Overlays() => [.. Rendered.Overlays];

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task Components_AreExactlyTheNamesTheCodeUses(string overlay)
    {
        var names = (await Rendered.Of(overlay)).OfKind("Component").Select(c => c.Obj("metadata").Str("name")).Order(StringComparer.Ordinal);
        Assert.Equal(new[] { DaprNames.FanOutPubSub, DaprNames.PubSub, DaprNames.StateStore }.Order(StringComparer.Ordinal), names);
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task EveryComponentAndResiliency_IsScopedToExistingAppIds(string overlay)
    {
        var docs = await Rendered.Of(overlay);
        foreach (var c in docs.OfKind("Component").Concat(docs.OfKind("Resiliency")))
        {
            var scopes = c.Arr("scopes").Strings().ToList();
            Assert.NotEmpty(scopes);
            Assert.All(scopes, s => Assert.Contains(s, Rendered.ServiceAppIds));
            Assert.Equal(scopes.Count, scopes.Distinct(StringComparer.Ordinal).Count());
        }
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task Scopes_CoverEveryPublisherAndSubscriberOfTheTopology(string overlay)
    {
        var docs = await Rendered.Of(overlay);
        string[] Scopes(string name) => [.. docs.Single("Component", name).Arr("scopes").Strings()];
        // endpoint-metrics: collector -> schedulers; request-completions: ext-proc -> schedulers.
        Assert.Equal(new[] { AppIds.ExtProc, AppIds.MetricsCollector, AppIds.Scheduler }, Scopes(DaprNames.FanOutPubSub).Order(StringComparer.Ordinal));
        // routing-decisions: scheduler -> prefix-index (competing).
        Assert.Equal(new[] { AppIds.PrefixIndex, AppIds.Scheduler }, Scopes(DaprNames.PubSub).Order(StringComparer.Ordinal));
        // Snapshots are written by the collector and read by schedulers at start.
        Assert.Contains(AppIds.MetricsCollector, Scopes(DaprNames.StateStore));
        Assert.Contains(AppIds.Scheduler, Scopes(DaprNames.StateStore));
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task FanOutPubSub_UsesOneConsumerGroupPerPod_AndTheOtherCompetes(string overlay)
    {
        var docs = await Rendered.Of(overlay);
        var fanout = docs.Single("Component", DaprNames.FanOutPubSub);
        var competing = docs.Single("Component", DaprNames.PubSub);
        Assert.Equal("pubsub.redis", fanout.Obj("spec").Str("type"));
        Assert.Equal("pubsub.redis", competing.Obj("spec").Str("type"));
        Assert.Equal("{podName}", fanout.DaprMeta("consumerID")!.Str("value"));
        Assert.Null(competing.DaprMeta("consumerID")); // defaults to the app id: replicas compete
        foreach (var c in new[] { fanout, competing })
            Assert.True(c.DaprMeta("maxLenApprox")!.Str("value").Int() > 0);
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task Credentials_ComeFromTheKubernetesSecretStore(string overlay)
    {
        foreach (var c in (await Rendered.Of(overlay)).OfKind("Component"))
        {
            Assert.Equal("kubernetes", c.Obj("auth").Str("secretStore"));
            var password = c.DaprMeta("redisPassword") ?? c.DaprMeta("connectionString");
            Assert.NotNull(password);
            Assert.Null(password["value"]);
            Assert.False(string.IsNullOrEmpty(password.Obj("secretKeyRef").Str("name")));
        }
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task Configuration_TurnsOnMtlsAndTracing(string overlay)
    {
        var spec = (await Rendered.Of(overlay)).Single("Configuration", "inference-mesh").Obj("spec");
        Assert.Equal("true", spec.Obj("mtls").Str("enabled"));
        var rate = double.Parse(spec.Obj("tracing").Str("samplingRate")!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(rate, 0.0001, 1);
        Assert.False(string.IsNullOrEmpty(spec.Obj("tracing").Obj("otel").Str("endpointAddress")));
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task Resiliency_TargetsExistingAppsAndComponents_AndNeverRetriesSchedule(string overlay)
    {
        var docs = await Rendered.Of(overlay);
        var spec = Assert.Single(docs.OfKind("Resiliency")).Obj("spec");
        var policies = spec.Obj("policies");
        foreach (var (app, target) in spec.Obj("targets").Obj("apps"))
        {
            Assert.Contains(app, Rendered.ServiceAppIds);
            AssertPoliciesExist(policies, target!.AsObject());
        }
        var components = docs.OfKind("Component").Select(c => c.Obj("metadata").Str("name")).ToHashSet();
        foreach (var (component, target) in spec.Obj("targets").Obj("components"))
        {
            Assert.Contains(component, components);
            foreach (var (_, direction) in target!.AsObject())
                AssertPoliciesExist(policies, direction!.AsObject());
        }
        // A retried /schedule could enqueue one request twice.
        Assert.Null(spec.Obj("targets").Obj("apps").Obj(AppIds.Scheduler)["retry"]);

        static void AssertPoliciesExist(JsonObject policies, JsonObject target)
        {
            foreach (var (key, section) in new[] { ("timeout", "timeouts"), ("retry", "retries"), ("circuitBreaker", "circuitBreakers") })
            {
                if (target.Str(key) is { } name)
                    Assert.True(policies.Obj(section).ContainsKey(name), $"policy {section}.{name} is not defined");
            }
        }
    }

    [Fact]
    public async Task PostgresAlternative_IsADropInForTheStateStore()
    {
        var redis = (await Rendered.Of("deploy/k8s/base")).Single("Component", DaprNames.StateStore);
        var pg = Yaml.LoadFile(RepoPaths.Path("deploy", "k8s", "dapr-alternatives", "statestore-postgresql.yaml")).Single().Root;
        Assert.Equal(DaprNames.StateStore, pg.Obj("metadata").Str("name"));
        Assert.Equal(("state.postgresql", "v2"), (pg.Obj("spec").Str("type"), pg.Obj("spec").Str("version")));
        Assert.Equal(redis.Arr("scopes").Strings(), pg.Arr("scopes").Strings());
        Assert.NotNull(pg.DaprMeta("connectionString")!["secretKeyRef"]);
    }
}
