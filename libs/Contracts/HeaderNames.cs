namespace InferenceMesh.Contracts;

/// <summary>HTTP header and Envoy metadata names of the Endpoint Picker protocol (Gateway API Inference Extension).</summary>
public static class HeaderNames
{
    public const string DestinationEndpoint = "x-gateway-destination-endpoint";
    public const string DestinationEndpointSubset = "x-gateway-destination-endpoint-subset";
    public const string RequestId = "x-request-id";
    public const string InferenceObjective = "x-gateway-inference-objective";
    public const string FairnessId = "x-gateway-inference-fairness-id";
    public const string ModelNameRewrite = "x-gateway-model-name-rewrite";
    public const string DefaultFairnessId = "default-flow";

    /// <summary>The request's time-to-first-token objective in ms (the name the Inference Extension's SLO-aware routing reads).</summary>
    public const string TtftSlo = "x-slo-ttft-ms";

    /// <summary>Dynamic metadata namespace Envoy's load balancer reads the destination from.</summary>
    public const string EnvoyLbNamespace = "envoy.lb";

    /// <summary>Filter metadata namespace carrying the proxy's subset hint.</summary>
    public const string SubsetHintNamespace = "envoy.lb.subset_hint";

    public const string DaprApiToken = "dapr-api-token";
}
