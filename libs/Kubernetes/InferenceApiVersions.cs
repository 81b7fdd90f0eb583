namespace InferenceMesh.Kubernetes;

/// <summary>API groups and versions of the Gateway API Inference Extension resources.</summary>
public static class InferenceApiVersions
{
    /// <summary>Group of the experimental (seeds') resources.</summary>
    public const string AlphaGroup = "inference.networking.x-k8s.io";

    /// <summary>Version of the experimental resources.</summary>
    public const string AlphaVersion = "v1alpha2";

    /// <summary>Group of the GA InferencePool.</summary>
    public const string GaGroup = "inference.networking.k8s.io";

    /// <summary>Version of the GA InferencePool.</summary>
    public const string GaVersion = "v1";

    public const string PoolPlural = "inferencepools";
    public const string ModelPlural = "inferencemodels";
    public const string ObjectivePlural = "inferenceobjectives";
    public const string PoolKind = "InferencePool";
    public const string ModelKind = "InferenceModel";
    public const string ObjectiveKind = "InferenceObjective";
    public const string PodKind = "Pod";

    /// <summary>Local-only kind listing endpoints by address for runs without Kubernetes (see docs/metrics-collector.md).</summary>
    public const string LocalEndpointsKind = "LocalEndpoints";
}
