using InferenceMesh.Contracts;
using InferenceMesh.Kubernetes;

namespace InferenceMesh.MetricsCollector.Tests;

/// <summary>The GA v1 InferencePool fields a gateway reads (docs/conformance.md rows 1.x), through the pool file parser.</summary>
public sealed class InferencePoolV1Tests
{
    private static string Pool(string ports, string extra) =>
        "apiVersion: inference.networking.k8s.io/v1\nkind: InferencePool\nmetadata: {name: p}\nspec:\n"
        + "  selector: {matchLabels: {app: m}}\n  targetPorts: [" + ports + "]\n" + extra + "\n";

    [Fact]
    public void V1Pool_EndpointPickerRefPortNumber_AppProtocol_FailureMode_AndEightPorts_AreRead()
    {
        var yaml = Pool(
            "{number: 8000}, {number: 8001}, {number: 8002}, {number: 8003}, {number: 8004}, {number: 8005}, {number: 8006}, {number: 8007}",
            "  appProtocol: kubernetes.io/h2c\n  endpointPickerRef: {name: ext-proc, port: {number: 9002}, failureMode: FailOpen}");
        var pool = Assert.Single(PoolFile.Parse(yaml).Pools);
        Assert.Equal(8, pool.TargetPorts.Count);
        Assert.Equal(InferencePoolSpec.AppProtocolH2c, pool.AppProtocol);
        Assert.Equal(new EndpointPickerRef("ext-proc", "Service", 9002, EndpointPickerRef.FailOpen), pool.EndpointPicker);
    }

    [Fact]
    public void V1Pool_Defaults_AreHttpAndFailClose()
    {
        var pool = Assert.Single(PoolFile.Parse(Pool("{number: 8000}", "  endpointPickerRef: {name: epp, port: {number: 9002}}")).Pools);
        Assert.Equal((InferencePoolSpec.AppProtocolHttp, EndpointPickerRef.FailClose), (pool.AppProtocol, pool.EndpointPicker!.FailureMode));
        Assert.Null(Assert.Single(PoolFile.Parse(Pool("{number: 8000}", "")).Pools).EndpointPicker);
    }

    [Fact]
    public void V1Alpha2Pool_ExtensionRefPortNumber_IsRead()
    {
        var yaml = """
            apiVersion: inference.networking.x-k8s.io/v1alpha2
            kind: InferencePool
            metadata: {name: p}
            spec:
              selector: {app: m}
              targetPortNumber: 8000
              extensionRef: {name: ext-proc, portNumber: 9002, failureMode: FailClose}
            """;
        Assert.Equal(9002, Assert.Single(PoolFile.Parse(yaml).Pools).EndpointPicker!.Port);
    }

    [Theory]
    [InlineData("{number: 1}, {number: 2}, {number: 3}, {number: 4}, {number: 5}, {number: 6}, {number: 7}, {number: 8}, {number: 9}", "", "at most 8")]
    [InlineData("{number: 8000}", "  appProtocol: grpc", "appProtocol 'grpc'")]
    [InlineData("{number: 8000}", "  endpointPickerRef: {name: e, port: {number: 9002}, failureMode: Maybe}", "failureMode 'Maybe'")]
    public void V1Pool_OutsideTheSchema_IsAnErrorNamingTheField(string ports, string extra, string expected)
    {
        var ex = Assert.Throws<PoolFileException>(() => PoolFile.Parse(Pool(ports, extra)));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }
}
