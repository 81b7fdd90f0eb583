using InferenceMesh.Contracts;
using InferenceMesh.Deploy.Tests.Support;

namespace InferenceMesh.Deploy.Tests;

/// <summary>Least privilege: the services that discover pools read the API read-only in their own namespace; only
/// metrics-collector (which scrapes endpoints) may read pods; prefix-index has no API access.</summary>
public sealed class RbacTests
{
    private static readonly string[] InferenceResources =
    [
        "inference.networking.k8s.io/inferencemodels",
        "inference.networking.k8s.io/inferencepools",
        "inference.networking.x-k8s.io/inferencemodels",
        "inference.networking.x-k8s.io/inferenceobjectives",
        "inference.networking.x-k8s.io/inferencepools",
    ];

    public static TheoryData<string> Overlays() => [.. Rendered.Overlays];

    public static TheoryData<string, string> OverlayDiscoveringApps()
    {
        var data = new TheoryData<string, string>();
        foreach (var overlay in Rendered.Overlays)
        {
            foreach (var app in (string[])[AppIds.MetricsCollector, AppIds.Scheduler, AppIds.ExtProc])
                data.Add(overlay, app);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Overlays))]
    public async Task DiscoveringServices_AreEachBound_ToTheirOwnNamespacedRole(string overlay)
    {
        var docs = await Rendered.Of(overlay);
        Assert.DoesNotContain(docs, d => d.Kind is "ClusterRole" or "ClusterRoleBinding");
        string[] expected = [AppIds.ExtProc, AppIds.MetricsCollector, AppIds.Scheduler];
        Assert.Equal(expected, docs.OfKind("Role").Select(r => r.Obj("metadata").Str("name")).Order(StringComparer.Ordinal));
        var bindings = docs.OfKind("RoleBinding").ToList();
        Assert.Equal(expected.Length, bindings.Count);
        foreach (var binding in bindings)
        {
            var name = binding.Obj("metadata").Str("name");
            Assert.Equal(("Role", name), (binding.Obj("roleRef").Str("kind"), binding.Obj("roleRef").Str("name")));
            var subject = Assert.Single(binding.Arr("subjects").Objects());
            Assert.Equal(("ServiceAccount", name, "inference-mesh"), (subject.Str("kind"), subject.Str("name"), subject.Str("namespace")));
        }
    }

    [Theory]
    [MemberData(nameof(OverlayDiscoveringApps))]
    public async Task Role_GrantsExactlyReadOnWhatTheServiceDiscovers(string overlay, string app)
    {
        var role = (await Rendered.Of(overlay)).Single("Role", app);
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
        // Only the collector watches pods (endpoints to scrape); ext-proc and scheduler read the CRs' settings.
        string[] expected = app == AppIds.MetricsCollector ? ["/pods", .. InferenceResources] : InferenceResources;
        Assert.Equal(expected, granted);
    }
}
