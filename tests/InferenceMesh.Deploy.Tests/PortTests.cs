using System.Globalization;
using InferenceMesh.Contracts;
using InferenceMesh.Deploy.Tests.Support;

namespace InferenceMesh.Deploy.Tests;

/// <summary>One port per purpose, the same in the Deployment, its Service, the Dapr annotation, the app's
/// ASP.NET configuration, the Dockerfile and the documented defaults.</summary>
public sealed class PortTests
{
    public static TheoryData<string, string> OverlayApps() => DeploymentTests.OverlayApps();

    [Theory]
    [MemberData(nameof(OverlayApps))]
    public async Task HttpPort_AgreesAcrossDeploymentServiceDaprAndAppConfiguration(string overlay, string app)
    {
        var docs = await Rendered.Of(overlay);
        var expected = DefaultPorts.HttpOf(app);
        var deployment = docs.Single("Deployment", app);
        var container = deployment.Container(app);
        var http = container.Arr("ports").Objects().Single(p => p.Str("name") == "http");
        Assert.Equal(expected, http["containerPort"].Int());
        Assert.Equal(expected, deployment.PodAnnotations().Str("dapr.io/app-port").Int());
        var env = container.Arr("env").Objects().Single(e => e.Str("name") == "ASPNETCORE_HTTP_PORTS");
        Assert.Equal(expected, env.Str("value").Int());
        var servicePort = docs.Single("Service", app).Obj("spec").Arr("ports").Objects().Single(p => p.Str("name") == "http");
        Assert.Equal(expected, servicePort["port"].Int());
        Assert.Equal("http", servicePort.Str("targetPort"));
        Assert.Equal(expected.ToString(CultureInfo.InvariantCulture), deployment.PodAnnotations().Str("prometheus.io/port"));
    }

    [Theory]
    [MemberData(nameof(OverlayApps))]
    public async Task ServiceSelector_MatchesTheDeploymentsPodLabels(string overlay, string app)
    {
        var docs = await Rendered.Of(overlay);
        var labels = docs.Single("Deployment", app).Obj("spec").Obj("template").Obj("metadata").Obj("labels");
        foreach (var (key, value) in docs.Single("Service", app).Obj("spec").Obj("selector"))
            Assert.Equal(value!.Str(), labels.Str(key));
    }

    [Theory]
    [InlineData("deploy/k8s/overlays/dev")]
    [InlineData("deploy/k8s/overlays/ha")]
    public async Task ExtProcGrpc_IsExposedAsHttp2_OnTheDocumentedPort_ByBothServices(string overlay)
    {
        var docs = await Rendered.Of(overlay);
        var grpc = DefaultPorts.ExtProcGrpc;
        var container = docs.Single("Deployment", AppIds.ExtProc).Container(AppIds.ExtProc);
        Assert.Equal(grpc, container.Arr("ports").Objects().Single(p => p.Str("name") == "grpc")["containerPort"].Int());
        Assert.Equal(grpc, container.Arr("env").Objects().Single(e => e.Str("name") == "ExtProc__GrpcPort").Str("value").Int());
        foreach (var name in new[] { "ext-proc", "ext-proc-headless" })
        {
            var port = docs.Single("Service", name).Obj("spec").Arr("ports").Objects().Single(p => p.Str("name") == "grpc");
            Assert.Equal(grpc, port["port"].Int());
            Assert.Equal("grpc", port.Str("targetPort"));
            // HTTP/2 with TLS (the picker serves TLS by default); the gateways' TLS settings originate it.
            Assert.Equal("http2", port.Str("appProtocol"));
        }
        Assert.Equal("None", docs.Single("Service", "ext-proc-headless").Obj("spec").Str("clusterIP"));
    }

    [Fact]
    public void Dockerfiles_ExposeExactlyTheDocumentedPorts()
    {
        foreach (var app in Rendered.ServiceAppIds)
        {
            var expected = new SortedSet<int> { DefaultPorts.HttpOf(app) };
            if (app == AppIds.ExtProc)
                expected.Add(DefaultPorts.ExtProcGrpc);
            Assert.Equal(expected, Dockerfile.Read(app).ExposedPorts);
            Assert.Equal(DefaultPorts.HttpOf(app).ToString(CultureInfo.InvariantCulture), Dockerfile.Read(app).Env("ASPNETCORE_HTTP_PORTS"));
        }
    }
}
