using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;
using InferenceMesh.Contracts;
using InferenceMesh.Foundation.Tests.Support;
using YamlDotNet.RepresentationModel;

namespace InferenceMesh.Foundation.Tests.Components;

/// <summary>components/*.yaml and dapr.yaml are valid YAML whose kinds, types, metadata fields and scopes match the Dapr
/// component specs (components-contrib metadata.yaml) and our constants.</summary>
public sealed partial class ComponentsYamlTests
{
    private static readonly string[] RedisCommon =
    [
        "redisHost", "redisPassword", "redisUsername", "enableTLS", "clientCert", "clientKey", "failover", "sentinelMasterName",
        "sentinelUsername", "sentinelPassword", "redeliverInterval", "processingTimeout", "redisType", "redisDB", "redisMaxRetries",
        "redisMinRetryInterval", "redisMaxRetryInterval", "dialTimeout", "readTimeout", "writeTimeout", "poolSize", "poolTimeout",
        "maxConnAge", "minIdleConns", "idleCheckFrequency", "idleTimeout", "useEntraID",
    ];

    // Metadata fields per component type and version, as documented in dapr/components-contrib */metadata.yaml;
    // keyPrefix and actorStateStore are runtime-level fields every state store accepts.
    private static readonly Dictionary<string, (string Version, HashSet<string> Fields, string[] Required)> Specs = new()
    {
        ["state.redis"] = ("v1", [.. RedisCommon, "keyPrefix", "actorStateStore", "ttlInSeconds", "queryIndexes"], ["redisHost"]),
        ["pubsub.redis"] = ("v1", [.. RedisCommon, "consumerID", "ackOnError", "queueDepth", "concurrency", "maxLenApprox", "streamTTL"], ["redisHost"]),
        ["state.postgresql"] = ("v2", ["connectionString", "useAzureAD", "timeout", "tableName", "metadataTableName", "cleanupInterval", "maxConns", "connectionMaxIdleTime", "queryExecMode", "keyPrefix", "actorStateStore"], ["connectionString"]),
        ["state.in-memory"] = ("v1", ["keyPrefix", "actorStateStore"], []),
        ["secretstores.local.env"] = ("v1", ["prefix"], []),
        ["secretstores.local.file"] = ("v1", ["secretsFile", "nestedSeparator", "multiValued"], ["secretsFile"]),
    };

    private static readonly HashSet<string> DurationFields = ["redeliverInterval", "processingTimeout", "dialTimeout", "readTimeout", "writeTimeout", "poolTimeout", "maxConnAge", "idleTimeout", "streamTTL", "connectionMaxIdleTime"];

    private static readonly HashSet<string> NumberFields = ["maxLenApprox", "concurrency", "queueDepth", "redisDB", "redisMaxRetries", "poolSize", "minIdleConns", "timeout", "cleanupInterval", "maxConns", "ttlInSeconds"];

    private static readonly HashSet<string> AppIdSet = ConstantsOf(typeof(AppIds));

    private static HashSet<string> ConstantsOf(Type type) =>
        [.. type.GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!)];

    private static YamlMappingNode Load(string path)
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(path);
        stream.Load(reader);
        return Assert.IsType<YamlMappingNode>(Assert.Single(stream.Documents).RootNode);
    }

    private static string? Scalar(YamlNode node, params string[] path)
    {
        var current = node;
        foreach (var key in path)
        {
            if (current is not YamlMappingNode map || !map.Children.TryGetValue(new YamlScalarNode(key), out var next))
                return null;
            current = next;
        }
        return (current as YamlScalarNode)?.Value;
    }

    private static YamlNode? Child(YamlNode node, params string[] path)
    {
        var current = node;
        foreach (var key in path)
        {
            if (current is not YamlMappingNode map || !map.Children.TryGetValue(new YamlScalarNode(key), out var next))
                return null;
            current = next;
        }
        return current;
    }

    private static IEnumerable<string> ComponentFiles(bool includeAlternatives) =>
        Directory.GetFiles(RepoPaths.Path("components"), "*.yaml")
            .Concat(includeAlternatives ? Directory.GetFiles(RepoPaths.Path("components", "alternatives"), "*.yaml") : [])
            .Order(StringComparer.Ordinal);

    private static List<(string File, YamlMappingNode Doc)> Components(bool includeAlternatives) =>
        [.. ComponentFiles(includeAlternatives).Select(f => (f, Load(f))).Where(x => Scalar(x.Item2, "kind") == "Component")];

    public static TheoryData<string> AllComponentFiles()
    {
        var data = new TheoryData<string>();
        foreach (var f in ComponentFiles(includeAlternatives: true))
            data.Add(Path.GetRelativePath(RepoPaths.Root, f));
        return data;
    }

    [Theory]
    [MemberData(nameof(AllComponentFiles))]
    public void EveryFile_IsADaprResourceOfAKnownKind(string relative)
    {
        var doc = Load(RepoPaths.Path(relative));

        Assert.Equal("dapr.io/v1alpha1", Scalar(doc, "apiVersion"));
        Assert.Contains(Scalar(doc, "kind"), new[] { "Component", "Resiliency", "Configuration" });
        Assert.False(string.IsNullOrEmpty(Scalar(doc, "metadata", "name")), "metadata.name");
        if (Scalar(doc, "kind") != "Configuration")
        {
            var scopes = Assert.IsType<YamlSequenceNode>(Child(doc, "scopes"));
            Assert.NotEmpty(scopes.Children);
            Assert.All(scopes.Children, s => Assert.Contains(((YamlScalarNode)s).Value!, AppIdSet));
        }
    }

    [Theory]
    [MemberData(nameof(AllComponentFiles))]
    public void Components_UseDocumentedTypesVersionsAndMetadataFields_AndNoInlineSecrets(string relative)
    {
        var doc = Load(RepoPaths.Path(relative));
        if (Scalar(doc, "kind") != "Component")
            return;
        var type = Scalar(doc, "spec", "type")!;
        Assert.True(Specs.TryGetValue(type, out var spec), $"{relative}: unknown component type {type}");
        Assert.Equal(spec.Version, Scalar(doc, "spec", "version"));
        var items = Assert.IsType<YamlSequenceNode>(Child(doc, "spec", "metadata"));
        var names = new List<string>();
        foreach (var item in items.Children.Cast<YamlMappingNode>())
        {
            var name = Scalar(item, "name")!;
            names.Add(name);
            Assert.Contains(name, spec.Fields);
            var value = Scalar(item, "value");
            var secret = Child(item, "secretKeyRef");
            Assert.True(value is not null ^ secret is not null, $"{relative}/{name}: exactly one of value or secretKeyRef");
            var sensitive = name.Contains("password", StringComparison.OrdinalIgnoreCase) || name is "connectionString" or "clientKey";
            if (sensitive)
            {
                Assert.True(secret is not null, $"{relative}/{name} must come from a secretKeyRef");
                Assert.False(string.IsNullOrEmpty(Scalar(secret!, "name")));
                Assert.False(string.IsNullOrEmpty(Scalar(secret!, "key")));
                Assert.False(string.IsNullOrEmpty(Scalar(doc, "auth", "secretStore")), $"{relative}: auth.secretStore");
            }
            if (value is not null && DurationFields.Contains(name))
                Assert.Matches(GoDuration(), value);
            if (value is not null && NumberFields.Contains(name))
                Assert.True(long.TryParse(value, out _), $"{relative}/{name} = {value} is not a number");
        }
        Assert.Equal(names.Count, names.Distinct(StringComparer.Ordinal).Count());
        Assert.All(spec.Required, r => Assert.Contains(r, names));
    }

    [Fact]
    public void ComponentNames_MatchTheContractConstants_AndSecretStoresExist()
    {
        var components = Components(includeAlternatives: false);
        var byName = components.ToDictionary(c => Scalar(c.Doc, "metadata", "name")!, c => c.Doc);

        Assert.Equal("state.redis", Scalar(byName[DaprNames.StateStore], "spec", "type"));
        Assert.Equal("pubsub.redis", Scalar(byName[DaprNames.PubSub], "spec", "type"));
        Assert.Equal("pubsub.redis", Scalar(byName[DaprNames.FanOutPubSub], "spec", "type"));
        foreach (var (file, doc) in Components(includeAlternatives: true))
        {
            var store = Scalar(doc, "auth", "secretStore");
            if (store is not null)
            {
                Assert.True(byName.TryGetValue(store, out var secretStore), $"{file}: secret store {store} is not a component");
                Assert.StartsWith("secretstores.", Scalar(secretStore!, "spec", "type"), StringComparison.Ordinal);
            }
        }
        foreach (var alternative in Directory.GetFiles(RepoPaths.Path("components", "alternatives"), "*.yaml"))
        {
            var doc = Load(alternative);
            Assert.Equal(DaprNames.StateStore, Scalar(doc, "metadata", "name"));
            Assert.Equal(Scopes(byName[DaprNames.StateStore]), Scopes(doc));
        }
    }

    [Fact]
    public void StateStore_IsScopedAndSharedAcrossApps_AndNotAnActorStore()
    {
        var doc = Components(false).Single(c => Scalar(c.Doc, "metadata", "name") == DaprNames.StateStore).Doc;

        Assert.Equal("false", MetadataValue(doc, "actorStateStore"));
        Assert.Equal("name", MetadataValue(doc, "keyPrefix"));
        Assert.Equal(new[] { AppIds.MetricsCollector, AppIds.PrefixIndex, AppIds.Scheduler }.Order(StringComparer.Ordinal), Scopes(doc));
    }

    [Fact]
    public void PubSubs_CompetingUsesTheAppId_FanOutUsesAGroupPerReplica_WithBoundedStreams()
    {
        var components = Components(false).ToDictionary(c => Scalar(c.Doc, "metadata", "name")!, c => c.Doc);
        var competing = components[DaprNames.PubSub];
        var fanout = components[DaprNames.FanOutPubSub];

        Assert.Null(MetadataValue(competing, "consumerID"));
        Assert.Equal("{uuid}", MetadataValue(fanout, "consumerID"));
        Assert.True(long.Parse(MetadataValue(fanout, "maxLenApprox")!, System.Globalization.CultureInfo.InvariantCulture) > 0);
        Assert.True(long.Parse(MetadataValue(competing, "maxLenApprox")!, System.Globalization.CultureInfo.InvariantCulture) > 0);
        // Publishers and subscribers of each topic must be in scope.
        Assert.Superset(new HashSet<string> { AppIds.Scheduler, AppIds.PrefixIndex }, Scopes(competing).ToHashSet());
        Assert.Superset(new HashSet<string> { AppIds.MetricsCollector, AppIds.PrefixIndex, AppIds.Scheduler, AppIds.ExtProc }, Scopes(fanout).ToHashSet());
    }

    [Fact]
    public void Resiliency_TargetsExistingAppsAndComponents_WithDefinedPolicies()
    {
        var doc = Load(RepoPaths.Path("components", "resiliency.yaml"));
        var policies = (YamlMappingNode)Child(doc, "spec", "policies")!;
        var defined = new Dictionary<string, HashSet<string>>();
        foreach (var kind in new[] { "timeouts", "retries", "circuitBreakers" })
            defined[kind] = [.. ((YamlMappingNode)policies.Children[new YamlScalarNode(kind)]).Children.Keys.Select(k => ((YamlScalarNode)k).Value!)];
        foreach (var (_, timeout) in ((YamlMappingNode)Child(policies, "timeouts")!).Children)
            Assert.Matches(GoDuration(), ((YamlScalarNode)timeout).Value!);
        foreach (var (_, retry) in ((YamlMappingNode)Child(policies, "retries")!).Children)
            Assert.Contains(Scalar(retry, "policy"), new[] { "constant", "exponential" });
        foreach (var (_, breaker) in ((YamlMappingNode)Child(policies, "circuitBreakers")!).Children)
            Assert.Matches(@"^consecutiveFailures\s*(>=|>)\s*\d+$", Scalar(breaker, "trip")!);

        var apps = (YamlMappingNode)Child(doc, "spec", "targets", "apps")!;
        Assert.Equal(new[] { AppIds.PrefixIndex, AppIds.Scheduler }, apps.Children.Keys.Select(k => ((YamlScalarNode)k).Value).Order(StringComparer.Ordinal));
        foreach (var (_, target) in apps.Children)
            AssertPolicyRefs(target, defined);
        var componentNames = Components(false).Select(c => Scalar(c.Doc, "metadata", "name")).ToHashSet();
        foreach (var (name, target) in ((YamlMappingNode)Child(doc, "spec", "targets", "components")!).Children)
        {
            Assert.Contains(((YamlScalarNode)name).Value, componentNames);
            foreach (var direction in new[] { "outbound", "inbound" })
            {
                if (Child(target, direction) is { } d)
                    AssertPolicyRefs(d, defined);
            }
        }
        // Scheduling is not idempotent: a policy retry could enqueue a request twice.
        Assert.Null(Scalar(apps, AppIds.Scheduler, "retry"));
    }

    [Fact]
    public void Configuration_EnablesTracing()
    {
        var doc = Load(RepoPaths.Path("components", "config.yaml"));

        Assert.Equal("Configuration", Scalar(doc, "kind"));
        Assert.Equal("1", Scalar(doc, "spec", "tracing", "samplingRate"));
        Assert.NotNull(Scalar(doc, "spec", "tracing", "otel", "endpointAddress"));
    }

    [Fact]
    public void DaprYaml_RunsTheFourAppsWithConsistentIdsPortsAndPaths()
    {
        var doc = Load(RepoPaths.Path("dapr.yaml"));

        Assert.Equal("1", Scalar(doc, "version"));
        Assert.Equal("./components", Scalar(doc, "common", "resourcesPath"));
        Assert.True(File.Exists(RepoPaths.Path(Scalar(doc, "common", "configFilePath")!)));
        var apps = ((YamlSequenceNode)Child(doc, "apps")!).Children;
        Assert.Equal(AppIdSet.Order(StringComparer.Ordinal), apps.Select(a => Scalar(a, "appID")).Order(StringComparer.Ordinal));
        var appPorts = new HashSet<int>();
        var sidecarPorts = new HashSet<int>();
        foreach (var app in apps)
        {
            var id = Scalar(app, "appID")!;
            var dir = Scalar(app, "appDirPath")!;
            Assert.Equal($"./services/{id}", dir);
            Assert.NotEmpty(Directory.GetFiles(RepoPaths.Path(dir), "*.csproj"));
            Assert.Equal(["dotnet", "run"], ((YamlSequenceNode)Child(app, "command")!).Children.Select(c => ((YamlScalarNode)c).Value));
            var appPort = int.Parse(Scalar(app, "appPort")!, System.Globalization.CultureInfo.InvariantCulture);
            var daprPort = int.Parse(Scalar(app, "daprHTTPPort")!, System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(appPorts.Add(appPort));
            Assert.True(sidecarPorts.Add(daprPort));
            Assert.InRange(daprPort, 3501, 3504);
            // Dapr.Client sends state and publish over gRPC: each sidecar's gRPC port is fixed too (DAPR_GRPC_PORT).
            var grpcPort = int.Parse(Scalar(app, "daprGRPCPort")!, System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(sidecarPorts.Add(grpcPort));
            Assert.InRange(grpcPort, 50101, 50104);
            if (id == AppIds.ExtProc)
            {
                // ext-proc binds its own listeners (HTTP app channel + gRPC for Envoy) from its ExtProc options.
                Assert.Equal(appPort.ToString(System.Globalization.CultureInfo.InvariantCulture), Scalar(app, "env", "ExtProc__HttpPort"));
            }
            else
            {
                Assert.Equal($"http://0.0.0.0:{appPort}", Scalar(app, "env", "Urls"));
                using var settings = JsonDocument.Parse(File.ReadAllText(RepoPaths.Path(dir, "appsettings.json")));
                Assert.Equal($"http://0.0.0.0:{appPort}", settings.RootElement.GetProperty("Urls").GetString());
            }
            if (id == AppIds.MetricsCollector)
            {
                var resolvedPool = Path.GetFullPath(Path.Combine(RepoPaths.Path(dir), Scalar(app, "env", "Collector__PoolFile")!));
                Assert.Equal(RepoPaths.Path("deploy", "local", "pool.yaml"), resolvedPool);
            }
            if (id is AppIds.Scheduler or AppIds.ExtProc)
            {
                // Pool annotations (scheduler) and InferenceModels (ext-proc) come from the same pool file.
                Assert.Equal("File", Scalar(app, "env", "Discovery__Mode"));
                var resolvedPool = Path.GetFullPath(Path.Combine(RepoPaths.Path(dir), Scalar(app, "env", "Discovery__PoolFile")!));
                Assert.Equal(RepoPaths.Path("deploy", "local", "pool.yaml"), resolvedPool);
            }
        }
        Assert.Equal([5101, 5102, 5103, 5104], appPorts.Order());
    }

    private static void AssertPolicyRefs(YamlNode target, Dictionary<string, HashSet<string>> defined)
    {
        if (Scalar(target, "timeout") is { } t)
            Assert.Contains(t, defined["timeouts"]);
        if (Scalar(target, "retry") is { } r)
            Assert.Contains(r, defined["retries"]);
        if (Scalar(target, "circuitBreaker") is { } c)
            Assert.Contains(c, defined["circuitBreakers"]);
    }

    private static string? MetadataValue(YamlNode component, string name) =>
        ((YamlSequenceNode)Child(component, "spec", "metadata")!).Children
            .Where(i => Scalar(i, "name") == name).Select(i => Scalar(i, "value")).FirstOrDefault();

    private static IEnumerable<string> Scopes(YamlNode doc) =>
        ((YamlSequenceNode)Child(doc, "scopes")!).Children.Select(s => ((YamlScalarNode)s).Value!).Order(StringComparer.Ordinal);

    [GeneratedRegex(@"^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$")]
    private static partial Regex GoDuration();
}
