using InferenceMesh.Contracts;
using InferenceMesh.Deploy.Tests.Support;

namespace InferenceMesh.Deploy.Tests;

/// <summary>Least privilege: only metrics-collector reads the API, read-only, in its own namespace.</summary>
public sealed class RbacTests
{
    public static TheoryData<string> Overlays() => [.. Rendered.Overlays];

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task OnlyMetricsCollector_IsBound_ToOneNamespacedRole(string overlay)
    {
        var docs = await Rendered.Of(overlay);
        Assert.DoesNotContain(docs, d => d.Kind is "ClusterRole" or "ClusterRoleBinding");
        var role = Assert.Single(docs.OfKind("Role"));
        Assert.Equal(AppIds.MetricsCollector, role.Obj("metadata").Str("name"));
        var binding = Assert.Single(docs.OfKind("RoleBinding"));
        Assert.Equal("Role", binding.Obj("roleRef").Str("kind"));
        Assert.Equal(AppIds.MetricsCollector, binding.Obj("roleRef").Str("name"));
        var subject = Assert.Single(binding.Arr("subjects").Objects());
        Assert.Equal(("ServiceAccount", AppIds.MetricsCollector, "inference-mesh"), (subject.Str("kind"), subject.Str("name"), subject.Str("namespace")));
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task MetricsCollectorRole_GrantsExactlyReadOnPodsAndInferenceResources(string overlay)
    {
        var role = Assert.Single((await Rendered.Of(overlay)).OfKind("Role"));
        var granted = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var rule in role.Arr("rules").Objects())
        {
            Assert.Equal(["get", "list", "watch"], rule.Arr("verbs").Strings().Order(StringComparer.Ordinal));
            Assert.Null(rule["resourceNames"]);
            Assert.Null(rule["nonResourceURLs"]);
            foreach (var g in rule.Arr("apiGroups").Strings())
            {
                foreach (var r in rule.Arr("resources").Strings())
                    granted.Add($"{g}/{r}");
            }
        }
        string[] expected =
        [
            "/pods",
            "inference.networking.k8s.io/inferencemodels",
            "inference.networking.k8s.io/inferencepools",
            "inference.networking.x-k8s.io/inferencemodels",
            "inference.networking.x-k8s.io/inferencepools",
        ];
        Assert.Equal(expected, granted);
    }
}
