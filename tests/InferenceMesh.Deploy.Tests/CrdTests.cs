using System.Text.Json.Nodes;
using InferenceMesh.Deploy.Tests.Support;

namespace InferenceMesh.Deploy.Tests;

/// <summary>Our CRDs are valid structural schemas, and the example pools, models and objectives are stored exactly as written.</summary>
public sealed class CrdTests
{
    private static async Task<IReadOnlyList<YamlDoc>> Crds() => await Rendered.Of("deploy/k8s/cluster");

    [Fact]
    public async Task Crds_AreStructural_ServeOneStorageVersion_AndMatchTheirNames()
    {
        var crds = (await Crds()).OfKind("CustomResourceDefinition").ToList();
        Assert.Equal(4, crds.Count);
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
        foreach (var doc in (await Rendered.Of(dir)).Where(d => d.Kind is "InferencePool" or "InferenceModel" or "InferenceObjective"))
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
        Assert.Equal(6, checkedCount);
    }

    [Fact]
    public async Task InferenceObjectiveCrd_IsTheInferenceExtensionsV1alpha2Shape()
    {
        var crd = (await Crds()).Single("CustomResourceDefinition", "inferenceobjectives.inference.networking.x-k8s.io");
        var version = Assert.Single(crd.Obj("spec").Arr("versions").Objects());
        Assert.Equal("v1alpha2", version.Str("name"));
        var schema = version.Obj("schema").Obj("openAPIV3Schema");
        var spec = schema.Obj("properties").Obj("spec");
        Assert.Equal(["poolRef"], spec.Arr("required").Strings());
        Assert.Equal(["poolRef", "priority"], spec.Obj("properties").Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal("integer", spec.Obj("properties").Obj("priority").Str("type"));
        var poolRef = spec.Obj("properties").Obj("poolRef");
        Assert.Equal(("inference.networking.k8s.io", "InferencePool"),
            (poolRef.Obj("properties").Obj("group").Str("default"), poolRef.Obj("properties").Obj("kind").Str("default")));
        Assert.Equal(["name"], poolRef.Arr("required").Strings());

        // What the API server would store (scalars as the YAML reader gives them, strings): negative priorities are
        // allowed; a non-integer or a missing poolRef is refused; InferenceModel's criticality is not a field here.
        string Check(string json) => string.Join('\n', StructuralSchema.Validate(schema, JsonNode.Parse(json), "$"));
        Assert.Empty(Check("""{"spec":{"priority":"-10","poolRef":{"name":"p"}}}"""));
        Assert.Empty(Check("""{"spec":{"poolRef":{"group":"inference.networking.x-k8s.io","kind":"InferencePool","name":"p"}}}"""));
        Assert.Contains("not an integer", Check("""{"spec":{"priority":"high","poolRef":{"name":"p"}}}"""), StringComparison.Ordinal);
        Assert.Contains("$.spec.poolRef: required", Check("""{"spec":{"priority":"1"}}"""), StringComparison.Ordinal);
        Assert.Contains("would be pruned", Check("""{"spec":{"criticality":"Critical","poolRef":{"name":"p"}}}"""), StringComparison.Ordinal);
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
