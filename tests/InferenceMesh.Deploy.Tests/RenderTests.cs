using InferenceMesh.Deploy.Tests.Support;

namespace InferenceMesh.Deploy.Tests;

/// <summary>Every kustomization renders with the kubectl on this machine, to known kinds in the right scope.</summary>
public sealed class RenderTests
{
    public static TheoryData<string> Kustomizations() => [.. Rendered.Kustomizations];

    public static TheoryData<string> Overlays() => [.. Rendered.Overlays];

    [Theory]
    [MemberData(nameof(Kustomizations))]
    public async Task Kustomization_Renders_ToKnownKindsInTheMeshNamespace(string dir)
    {
        var docs = await Rendered.Of(dir);
        Assert.NotEmpty(docs);
        var problems = new List<string>();
        foreach (var doc in docs)
        {
            var kind = KnownKinds.Find(doc.ApiVersion, doc.Kind);
            if (kind is null)
                problems.Add($"{doc}: unknown {doc.ApiVersion} {doc.Kind}");
            else if (kind.Namespaced && doc.Namespace != "inference-mesh")
                problems.Add($"{doc}: namespaced but in '{doc.Namespace}'");
            else if (!kind.Namespaced && doc.Namespace is not null)
                problems.Add($"{doc}: cluster-scoped but carries namespace '{doc.Namespace}'");
        }
        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    [Theory]
    [MemberData(nameof(Kustomizations))]
    public async Task RenderedOutput_KeepsStringFieldsAsStrings(string dir)
    {
        // Patches and generators can drop quotes; the API server then refuses e.g. an annotation value 1.
        var found = Yaml.NonStringScalarsInStringFields(await Rendered.TextOf(dir), dir);
        Assert.True(found.Count == 0, string.Join(", ", found));
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task Overlay_ContainsTheWholeMesh(string overlay)
    {
        var docs = await Rendered.Of(overlay);
        foreach (var app in Rendered.ServiceAppIds)
        {
            docs.Single("Deployment", app);
            docs.Single("Service", app);
            docs.Single("ServiceAccount", app);
            docs.Single("PodDisruptionBudget", app);
        }
        docs.Single("Namespace", "inference-mesh");
        Assert.Equal(4, docs.OfKind("CustomResourceDefinition").Count());
        docs.Single("Gateway", "inference-gateway");
        docs.Single("EnvoyExtensionPolicy", "ext-proc");
        docs.Single("EnvoyPatchPolicy", "original-destination");
        Assert.Equal(2, docs.OfKind("InferencePool").Count());
        Assert.Equal(2, docs.OfKind("InferenceModel").Count());
        Assert.Equal(2, docs.OfKind("InferenceObjective").Count());
        var names = docs.Select(d => $"{d.Kind}/{d.Namespace}/{d.Name}/{d.ApiVersion}").ToList();
        Assert.Equal(names.Count, names.Distinct(StringComparer.Ordinal).Count());
    }
}
