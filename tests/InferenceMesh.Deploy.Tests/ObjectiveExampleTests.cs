using InferenceMesh.Contracts;
using InferenceMesh.Deploy.Tests.Support;

namespace InferenceMesh.Deploy.Tests;

/// <summary>The example InferenceObjectives sit on the example pool and cover the bands a priority maps to.</summary>
public sealed class ObjectiveExampleTests
{
    [Fact]
    public async Task ExampleObjectives_ReferToQwenPool_OneAboveAndOneBelowZero()
    {
        var docs = await Rendered.Of("deploy/k8s/examples");
        var pools = docs.OfKind("InferencePool").Select(p => p.Obj("metadata").Str("name")).ToHashSet(StringComparer.Ordinal);
        var bands = new Dictionary<string, Criticality>(StringComparer.Ordinal);
        foreach (var objective in docs.OfKind("InferenceObjective"))
        {
            var spec = objective.Obj("spec");
            Assert.Contains(spec.Obj("poolRef").Str("name")!, pools);
            bands[objective.Obj("metadata").Str("name")!] = InferenceObjectiveSpec.BandOf(spec["priority"].Int());
        }
        Assert.Equal(Criticality.Critical, bands["interactive"]);
        Assert.Equal(Criticality.Sheddable, bands["batch"]);
        Assert.Equal(2, bands.Count);
    }
}
