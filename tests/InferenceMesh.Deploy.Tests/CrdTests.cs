using System.Text.Json.Nodes;
using InferenceMesh.Deploy.Tests.Support;

namespace InferenceMesh.Deploy.Tests;

/// <summary>Our CRDs are valid structural schemas, and the example pools and models are stored exactly as written.</summary>
public sealed class CrdTests
{
    private static async Task<IReadOnlyList<YamlDoc>> Crds() => await Rendered.Of("deploy/k8s/cluster");

    [Fact]
    public async Task Crds_AreStructural_ServeOneStorageVersion_AndMatchTheirNames()
    {
        var crds = (await Crds()).OfKind("CustomResourceDefinition").ToList();
        Assert.Equal(3, crds.Count);
        foreach (var crd in crds)
        {
            var spec = crd.Obj("spec");
            Assert.Equal($"{spec.Obj("names").Str("plural")}.{spec.Str("group")}", crd.Obj("metadata").Str("name"));
            Assert.Equal("Namespaced", spec.Str("scope"));
            var versions = spec.Arr("versions").Objects().ToList();
            Assert.Single(versions, v => v.Str("storage") == "true");
            foreach (var v in versions)
            {
                var problems = StructuralSchema.StructuralProblems(v.Obj("schema").Obj("openAPIV3Schema")).ToList();
                Assert.True(problems.Count == 0, string.Join('\n', problems));
                Assert.NotNull(v.Obj("subresources")["status"]);
            }
        }
        // *.k8s.io groups are protected: the API server refuses the CRD without an approval annotation.
        var ga = crds.Single(c => c.Obj("spec").Str("group") == "inference.networking.k8s.io");
        Assert.False(string.IsNullOrEmpty(ga.Obj("metadata").Obj("annotations").Str("api-approved.kubernetes.io")));
    }

    [Theory]
    [InlineData("deploy/k8s/examples")]
    [InlineData("deploy/k8s/overlays/dev")]
    [InlineData("deploy/k8s/overlays/ha")]
    public async Task InferenceExamples_ValidateAgainstTheCrds_WithNothingPruned(string dir)
    {
        var crds = (await Crds()).OfKind("CustomResourceDefinition").ToList();
        var checkedCount = 0;
        foreach (var doc in (await Rendered.Of(dir)).Where(d => d.Kind is "InferencePool" or "InferenceModel"))
        {
            var group = doc.ApiVersion!.Split('/')[0];
            var version = doc.ApiVersion.Split('/')[1];
            var crd = crds.Single(c => c.Obj("spec").Str("group") == group && c.Obj("spec").Obj("names").Str("kind") == doc.Kind);
            var schema = crd.Obj("spec").Arr("versions").Objects().Single(v => v.Str("name") == version).Obj("schema").Obj("openAPIV3Schema");
            var instance = doc.Root.DeepClone().AsObject();
            instance.Remove("metadata"); // ObjectMeta is validated by the API server itself, not the CRD schema
            var problems = StructuralSchema.Validate(schema, instance, doc.ToString()).ToList();
            Assert.True(problems.Count == 0, string.Join('\n', problems));
            checkedCount++;
        }
        Assert.Equal(4, checkedCount);
    }

    [Fact]
    public void Validator_ReportsPrunedFields_MissingRequiredFields_AndBadEnums()
    {
        var schema = JsonNode.Parse("""
            {"type":"object","required":["a"],"properties":{
              "a":{"type":"string","enum":["x","y"]},
              "n":{"type":"integer","minimum":"1","maximum":"3"}}}
            """)!.AsObject();
        var instance = JsonNode.Parse("""{"a":"z","n":"7","extra":"1"}""");
        var problems = StructuralSchema.Validate(schema, instance, "$").ToList();
        Assert.Equal(3, problems.Count);
        Assert.Contains(problems, p => p.Contains("pruned", StringComparison.Ordinal));
        Assert.Single(StructuralSchema.Validate(schema, JsonNode.Parse("""{"n":"2"}"""), "$"));
    }
}
