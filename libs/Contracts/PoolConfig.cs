namespace InferenceMesh.Contracts;

/// <summary>An InferencePool as read from Kubernetes (v1alpha2 or GA v1) or the local pool file.</summary>
/// <param name="Name">Pool name.</param>
/// <param name="Namespace">Namespace ("default" locally).</param>
/// <param name="Selector">Pod label selector (matchLabels).</param>
/// <param name="TargetPorts">Model-server ports on each pod.</param>
/// <param name="Annotations">Pool annotations (routing strategy, queueing switch).</param>
/// <param name="AppProtocol">v1 <c>spec.appProtocol</c> of the target ports: "http" (default) or "kubernetes.io/h2c".</param>
/// <param name="EndpointPicker">The picker reference, when the pool names one.</param>
public sealed record InferencePoolSpec(
    string Name,
    string Namespace,
    IReadOnlyDictionary<string, string> Selector,
    IReadOnlyList<int> TargetPorts,
    IReadOnlyDictionary<string, string> Annotations,
    string AppProtocol = InferencePoolSpec.AppProtocolHttp,
    EndpointPickerRef? EndpointPicker = null)
{
    public const string AppProtocolHttp = "http";

    public const string AppProtocolH2c = "kubernetes.io/h2c";
}

/// <summary>A weighted rewrite target of an InferenceModel.</summary>
public sealed record TargetModel(string Name, int Weight);

/// <summary>An InferenceModel: the client-facing model name, its band and its rewrite targets.</summary>
public sealed record InferenceModelSpec(
    string Name,
    string ModelName,
    Criticality Criticality,
    IReadOnlyList<TargetModel> TargetModels,
    string PoolRef);

/// <summary>One model-server endpoint discovered for a pool.</summary>
/// <param name="Address">"ip:port".</param>
/// <param name="Pool">Pool name.</param>
/// <param name="Engine">Engine type label value (vllm, sglang, trtllm); "vllm" by default.</param>
/// <param name="PodName">Pod name, or a local name.</param>
public sealed record DiscoveredEndpoint(string Address, string Pool, string Engine, string PodName);
