using InferenceMesh.Deploy.Tests.Support;

namespace InferenceMesh.Deploy.Tests;

/// <summary>
/// <c>kubectl apply --dry-run=client --validate=false</c> on each rendered overlay. Client dry-run still needs API
/// discovery to map kinds, so kubectl talks to <see cref="FakeApiServer"/> (discovery for the known kinds, 404 for
/// every object) through a throwaway kubeconfig; no real cluster is involved.
/// </summary>
public sealed class KubectlDryRunTests
{
    public static TheoryData<string> Applied() =>
    [
        "deploy/k8s/overlays/dev",
        "deploy/k8s/overlays/ha",
        "deploy/k8s/envoy",
        "deploy/k8s/observability",
        "deploy/k8s/examples/by-model",
    ];

    [Theory]
    [MemberData(nameof(Applied))]
    public async Task ApplyDryRunClient_AcceptsEveryRenderedObject(string dir)
    {
        var docs = await Rendered.Of(dir);
        var rendered = await Rendered.TextOf(dir);

        await using var api = await FakeApiServer.StartAsync(KnownKinds.All);
        var apply = await ApplyDryRunAsync(api, rendered);
        Assert.True(apply.ExitCode == 0, apply.ToString());
        var created = apply.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Count(l => l.EndsWith("created (dry run)", StringComparison.Ordinal));
        Assert.Equal(docs.Count, created);
        // Client dry-run must only read: no create/patch ever reaches the server.
        Assert.All(api.Requests, r => Assert.StartsWith("GET ", r, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ApplyDryRunClient_RejectsAKindTheServerDoesNotServe()
    {
        // Proves the check above has teeth: discovery only knows KnownKinds, like a cluster without a CRD.
        const string Unknown = """
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata:
              name: too-broad
            rules: []
            """;
        await using var api = await FakeApiServer.StartAsync(KnownKinds.All);
        var apply = await ApplyDryRunAsync(api, Unknown);
        Assert.NotEqual(0, apply.ExitCode);
        Assert.Contains("ClusterRole", apply.StdErr, StringComparison.Ordinal);
    }

    /// <summary><c>kubectl apply --dry-run=client</c> of <paramref name="yaml"/> against <paramref name="api"/> through a
    /// throwaway kubeconfig (and discovery cache), both deleted afterwards.</summary>
    private static async Task<ProcessResult> ApplyDryRunAsync(FakeApiServer api, string yaml)
    {
        var kubeconfig = api.WriteKubeconfig();
        try
        {
            return await Kubectl.RunAsync(
                ["apply", "--dry-run=client", "--validate=false", "--cache-dir", kubeconfig + ".cache", "-f", "-"],
                stdin: yaml,
                env: new Dictionary<string, string> { ["KUBECONFIG"] = kubeconfig });
        }
        finally
        {
            File.Delete(kubeconfig);
            if (Directory.Exists(kubeconfig + ".cache"))
                Directory.Delete(kubeconfig + ".cache", recursive: true); // discovery cache, keyed by our random port
        }
    }
}
