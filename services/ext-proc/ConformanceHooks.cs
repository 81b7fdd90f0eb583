using InferenceMesh.Grpc.Envoy.Config.Core.V3;
using InferenceMesh.Grpc.Envoy.Service.ExtProc.V3;

namespace InferenceMesh.ExtProc;

/// <summary>The Inference Extension conformance suite's test hooks (<see cref="ExtProcOptions.ConformanceTestHooks"/>), as the
/// reference picker's test filter and served-endpoint verifier implement them.</summary>
internal static class ConformanceHooks
{
    /// <summary>Request header naming the endpoints (IPs or ip:port, comma-separated) a test wants.</summary>
    public const string EndpointSelectionHeader = "test-epp-endpoint-selection";

    /// <summary>Response header echoing the endpoint the proxy reports it served the request from.</summary>
    public const string ServedEndpointHeader = "x-conformance-test-served-endpoint";

    /// <summary>The reference's value when the proxy did not report the served endpoint (so the suite's check fails).</summary>
    public const string ServedMissing = "fail: missing destination endpoint served metadata";

    /// <summary>Adds the served-endpoint header to a response_headers answer.</summary>
    public static void EchoServed(ProcessingResponse answer, string? served)
    {
        var common = answer.ResponseHeaders.Response ??= new CommonResponse();
        common.HeaderMutation ??= new HeaderMutation();
        common.HeaderMutation.SetHeaders.Add(ExtProcResponses.SetHeader(ServedEndpointHeader, served ?? ServedMissing));
    }
}
