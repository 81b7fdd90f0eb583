namespace InferenceMesh.MetricsCollector;

/// <summary>Where the collector learns its pools and endpoints.</summary>
public enum DiscoveryMode
{
    /// <summary>Kubernetes when running in a pod, else the pool file.</summary>
    Auto = 0,

    /// <summary>Watch InferencePool/InferenceModel CRs and pods through the API server.</summary>
    Kubernetes = 1,

    /// <summary>Read the local pool file (multi-document YAML), reloaded on change.</summary>
    File = 2,
}
