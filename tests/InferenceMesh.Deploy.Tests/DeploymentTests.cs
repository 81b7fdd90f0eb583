using System.Text.Json.Nodes;
using InferenceMesh.Contracts;
using InferenceMesh.Deploy.Tests.Support;

namespace InferenceMesh.Deploy.Tests;

/// <summary>What every one of the four service Deployments must carry, checked on each rendered overlay.</summary>
public sealed class DeploymentTests
{
    public static TheoryData<string, string> OverlayApps()
    {
        var data = new TheoryData<string, string>();
        foreach (var overlay in Rendered.Overlays)
        {
            foreach (var app in Rendered.ServiceAppIds)
                data.Add(overlay, app);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(OverlayApps))]
    public async Task Deployment_HasAtLeastTwoReplicas_AndPrefersDistinctNodes(string overlay, string app)
    {
        var d = (await Rendered.Of(overlay)).Single("Deployment", app);
        Assert.True(d.Obj("spec")["replicas"].Int() >= 2);
        var preferred = d.PodSpec().Obj("affinity").Obj("podAntiAffinity").Arr("preferredDuringSchedulingIgnoredDuringExecution").Objects().ToList();
        Assert.Contains(preferred, p =>
            p.Obj("podAffinityTerm").Str("topologyKey") == "kubernetes.io/hostname"
            && p.Obj("podAffinityTerm").Obj("labelSelector").Obj("matchLabels").Str("app.kubernetes.io/name") == app);
        Assert.Equal(app, d.Obj("spec").Obj("selector").Obj("matchLabels").Str("app.kubernetes.io/name"));
    }

    [Theory]
    [MemberData(nameof(OverlayApps))]
    public async Task Deployment_CarriesTheDaprAnnotations(string overlay, string app)
    {
        var docs = await Rendered.Of(overlay);
        var a = docs.Single("Deployment", app).PodAnnotations();
        Assert.Equal("true", a.Str("dapr.io/enabled"));
        Assert.Equal(app, a.Str("dapr.io/app-id"));
        Assert.Equal(DefaultPorts.HttpOf(app).ToString(System.Globalization.CultureInfo.InvariantCulture), a.Str("dapr.io/app-port"));
        Assert.Equal("http", a.Str("dapr.io/app-protocol"));
        docs.Single("Configuration", a.Str("dapr.io/config")!);
        Assert.False(string.IsNullOrEmpty(a.Str("dapr.io/api-token-secret")));
        Assert.True(a.Str("dapr.io/graceful-shutdown-seconds").Int() > 0);
        foreach (var key in new[] { "dapr.io/sidecar-cpu-request", "dapr.io/sidecar-cpu-limit", "dapr.io/sidecar-memory-request", "dapr.io/sidecar-memory-limit" })
            Assert.False(string.IsNullOrEmpty(a.Str(key)), $"{app}: {key} missing");
        // The sidecar must finish its own shutdown before the kubelet kills the pod.
        Assert.True(a.Str("dapr.io/graceful-shutdown-seconds").Int() < docs.Single("Deployment", app).PodSpec()["terminationGracePeriodSeconds"].Int());
    }

    [Theory]
    [MemberData(nameof(OverlayApps))]
    public async Task Deployment_ProbesTheHealthEndpointsOnItsHttpPort(string overlay, string app)
    {
        var c = (await Rendered.Of(overlay)).Single("Deployment", app).Container(app);
        AssertProbe(c.Obj("readinessProbe"), "/healthz/ready");
        AssertProbe(c.Obj("livenessProbe"), "/healthz/live");

        static void AssertProbe(JsonObject probe, string path)
        {
            Assert.Equal(path, probe.Obj("httpGet").Str("path"));
            Assert.Equal("http", probe.Obj("httpGet").Str("port"));
        }
    }

    [Theory]
    [MemberData(nameof(OverlayApps))]
    public async Task Deployment_SetsRequestsAndLimits(string overlay, string app)
    {
        var r = (await Rendered.Of(overlay)).Single("Deployment", app).Container(app).Obj("resources");
        foreach (var section in new[] { "requests", "limits" })
        {
            Assert.False(string.IsNullOrEmpty(r.Obj(section).Str("cpu")), $"{app} {section}.cpu");
            Assert.False(string.IsNullOrEmpty(r.Obj(section).Str("memory")), $"{app} {section}.memory");
        }
    }

    [Theory]
    [MemberData(nameof(OverlayApps))]
    public async Task Deployment_RunsNonRoot_WithAReadOnlyRootFilesystemAndWritableTmp(string overlay, string app)
    {
        var d = (await Rendered.Of(overlay)).Single("Deployment", app);
        var pod = d.PodSpec();
        Assert.Equal("true", pod.Obj("securityContext").Str("runAsNonRoot"));
        Assert.NotEqual(0, pod.Obj("securityContext")["runAsUser"].Int());
        Assert.Equal("RuntimeDefault", pod.Obj("securityContext").Obj("seccompProfile").Str("type"));
        var sc = d.Container(app).Obj("securityContext");
        Assert.Equal("true", sc.Str("readOnlyRootFilesystem"));
        Assert.Equal("false", sc.Str("allowPrivilegeEscalation"));
        Assert.Equal(["ALL"], sc.Obj("capabilities").Arr("drop").Strings());
        Assert.Null(sc["privileged"]);
        var tmpMount = d.Container(app).Arr("volumeMounts").Objects().Single(m => m.Str("mountPath") == "/tmp");
        var tmpVolume = pod.Arr("volumes").Objects().Single(v => v.Str("name") == tmpMount.Str("name"));
        Assert.NotNull(tmpVolume["emptyDir"]);
    }

    [Theory]
    [MemberData(nameof(OverlayApps))]
    public async Task Deployment_UsesItsOwnServiceAccount_AndMountsATokenOnlyWhereDiscoveryRuns(string overlay, string app)
    {
        var docs = await Rendered.Of(overlay);
        var pod = docs.Single("Deployment", app).PodSpec();
        Assert.Equal(app, pod.Str("serviceAccountName"));
        // prefix-index never talks to the API server; the other three discover pools through it.
        var expected = app == AppIds.PrefixIndex ? "false" : "true";
        Assert.Equal(expected, pod.Str("automountServiceAccountToken"));
        Assert.Equal(expected, docs.Single("ServiceAccount", app).Str("automountServiceAccountToken"));
    }

    [Theory]
    [MemberData(nameof(OverlayApps))]
    public async Task Deployment_GetsItsPodNameFromTheDownwardApi(string overlay, string app)
    {
        // ServiceIdentity reads POD_NAME; the fan-out pub/sub's consumer group is the pod name too.
        var env = (await Rendered.Of(overlay)).Single("Deployment", app).Container(app).Arr("env").Objects();
        var podName = env.Single(e => e.Str("name") == "POD_NAME");
        Assert.Equal("metadata.name", podName.Obj("valueFrom").Obj("fieldRef").Str("fieldPath"));
    }

    [Theory]
    [MemberData(nameof(OverlayApps))]
    public async Task PodDisruptionBudget_SelectsTheDeploymentsPods_AndLeavesOneToEvict(string overlay, string app)
    {
        var docs = await Rendered.Of(overlay);
        var pdb = docs.Single("PodDisruptionBudget", app);
        var deployment = docs.Single("Deployment", app);
        Assert.Equal(app, pdb.Obj("spec").Obj("selector").Obj("matchLabels").Str("app.kubernetes.io/name"));
        var minAvailable = pdb.Obj("spec")["minAvailable"].Int();
        Assert.InRange(minAvailable, 1, deployment.Obj("spec")["replicas"].Int() - 1);
    }

    [Theory]
    [InlineData("metrics-collector")]
    [InlineData("prefix-index")]
    [InlineData("scheduler")]
    [InlineData("ext-proc")]
    public async Task HaOverlay_RunsThreeReplicas_SpreadAcrossZones(string app)
    {
        var d = (await Rendered.Of("deploy/k8s/overlays/ha")).Single("Deployment", app);
        Assert.Equal(3, d.Obj("spec")["replicas"].Int());
        var spread = d.PodSpec().Arr("topologySpreadConstraints").Objects().Single();
        Assert.Equal("topology.kubernetes.io/zone", spread.Str("topologyKey"));
        Assert.Equal(app, spread.Obj("labelSelector").Obj("matchLabels").Str("app.kubernetes.io/name"));
    }

    [Theory]
    [InlineData("deploy/k8s/overlays/dev", "ext-proc")]
    [InlineData("deploy/k8s/overlays/dev", "scheduler")]
    [InlineData("deploy/k8s/overlays/ha", "ext-proc")]
    [InlineData("deploy/k8s/overlays/ha", "scheduler")]
    public async Task HorizontalPodAutoscaler_ScalesTheDeployment_NeverBelowTwo(string overlay, string app)
    {
        var docs = await Rendered.Of(overlay);
        var hpa = docs.Single("HorizontalPodAutoscaler", app);
        var target = hpa.Obj("spec").Obj("scaleTargetRef");
        Assert.Equal(("apps/v1", "Deployment", app), (target.Str("apiVersion"), target.Str("kind"), target.Str("name")));
        Assert.True(hpa.Obj("spec")["minReplicas"].Int() >= 2);
        Assert.True(hpa.Obj("spec")["maxReplicas"].Int() > hpa.Obj("spec")["minReplicas"].Int());
        Assert.Equal(2, docs.OfKind("HorizontalPodAutoscaler").Count());
    }
}
