using System.Text.Json.Nodes;
using InferenceMesh.Deploy.Tests.Support;

namespace InferenceMesh.Deploy.Tests;

/// <summary>Static checks on every YAML file under deploy/k8s, as written (before kustomize).</summary>
public sealed class ManifestFileTests
{
    /// <summary>Envoy's own bootstrap, not a Kubernetes manifest (it is shipped inside a ConfigMap).</summary>
    private const string EnvoyBootstrap = "deploy/k8s/envoy/envoy.yaml";

    private static IEnumerable<string> YamlFiles() =>
        Directory.EnumerateFiles(RepoPaths.Path("deploy", "k8s"), "*.yaml", SearchOption.AllDirectories)
            .Concat(Directory.EnumerateFiles(RepoPaths.Path("deploy", "k8s"), "*.yml", SearchOption.AllDirectories))
            .Order(StringComparer.Ordinal);

    [Fact]
    public void EveryManifestFile_ParsesAsMultiDocumentYaml_WithKnownApiVersionAndKind()
    {
        var files = YamlFiles().Where(f => RepoPaths.Relative(f) != EnvoyBootstrap).ToList();
        Assert.True(files.Count >= 30, $"expected the deploy/k8s tree, found {files.Count} files");
        var problems = new List<string>();
        foreach (var file in files)
        {
            var docs = Yaml.LoadFile(file);
            if (docs.Count == 0)
                problems.Add($"{RepoPaths.Relative(file)}: no documents");
            var isKustomizeFile = Path.GetFileName(file) == "kustomization.yaml";
            foreach (var doc in docs)
            {
                var known = isKustomizeFile
                    ? KnownKinds.KustomizeFiles.Contains((doc.ApiVersion ?? "", doc.Kind ?? ""))
                    : KnownKinds.Find(doc.ApiVersion, doc.Kind) is not null;
                if (!known)
                    problems.Add($"{doc}: apiVersion '{doc.ApiVersion}' kind '{doc.Kind}' is not in the known set");
                if (!isKustomizeFile && string.IsNullOrEmpty(doc.Name))
                    problems.Add($"{doc}: metadata.name missing");
            }
        }
        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    [Fact]
    public void NoYamlFile_UsesPlainScalarsThatYaml11ReadsAsBooleans()
    {
        // kubectl's YAML reader follows YAML 1.1: an unquoted "on", "yes" or "n" silently becomes a boolean.
        var found = YamlFiles().SelectMany(f => Yaml.AmbiguousPlainScalars(File.ReadAllText(f), RepoPaths.Relative(f))).ToList();
        Assert.True(found.Count == 0, "quote these: " + string.Join(", ", found));
    }

    [Fact]
    public void StringFields_HoldStrings_NotNumbersOrBooleans()
    {
        var found = YamlFiles().SelectMany(f => Yaml.NonStringScalarsInStringFields(File.ReadAllText(f), RepoPaths.Relative(f))).ToList();
        Assert.True(found.Count == 0, "quote these: " + string.Join(", ", found));
    }

    [Fact]
    public void StringFieldCheck_FlagsUnquotedNumbersInAnnotationsAndEnv_AndAcceptsQuotedOnes()
    {
        const string Text = """
            metadata:
              annotations:
                a: 1
                b: "1"
                c: 250m
            spec:
              env:
                - name: X
                  value: true
                - name: Y
                  value: "9002"
              replicas: 2
            """;
        var found = Yaml.NonStringScalarsInStringFields(Text, "inline");
        Assert.Equal(2, found.Count);
        Assert.Contains(found, f => f.EndsWith("a: 1", StringComparison.Ordinal));
        Assert.Contains(found, f => f.EndsWith("value: true", StringComparison.Ordinal));
    }

    [Fact]
    public void YamlBooleanCheck_FlagsAnUnquotedYesAndAcceptsAQuotedOne()
    {
        Assert.Single(Yaml.AmbiguousPlainScalars("a: yes\nb: \"yes\"\n", "inline"));
    }

    [Fact]
    public void NoManifest_ContainsASecretOrAnInlineCredential()
    {
        var problems = new List<string>();
        foreach (var file in YamlFiles().Where(f => RepoPaths.Relative(f) != EnvoyBootstrap))
        {
            foreach (var doc in Yaml.LoadFile(file))
            {
                if (doc.Kind == "Secret")
                    problems.Add($"{doc}: Secrets are created out of band, never committed");
                if (doc.Kind == "Component" && doc.ApiVersion == "dapr.io/v1alpha1" && doc.Root["spec"]?["metadata"] is JsonArray meta)
                {
                    foreach (var m in meta.Objects())
                    {
                        var name = m.Str("name") ?? "";
                        if (IsSecretName(name) && (m["value"] is not null || m["secretKeyRef"] is null))
                            problems.Add($"{doc}: metadata '{name}' must come from secretKeyRef");
                    }
                }
                foreach (var env in EnvVars(doc.Root))
                {
                    var name = env.Str("name") ?? "";
                    if ((IsSecretName(name) || name.EndsWith("__Redis", StringComparison.Ordinal)) && env["valueFrom"]?["secretKeyRef"] is null)
                        problems.Add($"{doc}: env {name} must come from a secretKeyRef");
                }
            }
        }
        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    [Fact]
    public void EnvoyBootstrap_Parses_AndWiresExtProcToTheOriginalDestinationCluster()
    {
        var root = Yaml.LoadFile(RepoPaths.Path(EnvoyBootstrap.Split('/'))).Single().Root;
        var listeners = root.Obj("static_resources").Arr("listeners").Objects().ToList();
        Assert.Contains(listeners, l => l["address"]?["socket_address"]?["port_value"]?.Str() == "8080");
        Assert.Contains(listeners, l => l["address"]?["socket_address"]?["port_value"]?.Str() == "8081");
    }

    private static bool IsSecretName(string name) =>
        name.Contains("password", StringComparison.OrdinalIgnoreCase)
        || name.Contains("token", StringComparison.OrdinalIgnoreCase)
        || name.Contains("secret", StringComparison.OrdinalIgnoreCase)
        || name.Contains("connectionString", StringComparison.OrdinalIgnoreCase);

    private static IEnumerable<JsonObject> EnvVars(JsonObject root)
    {
        if (root["spec"]?["template"]?["spec"]?["containers"] is not JsonArray containers)
            yield break;
        foreach (var c in containers.Objects())
        {
            if (c["env"] is JsonArray env)
            {
                foreach (var e in env.Objects())
                    yield return e;
            }
        }
    }
}
