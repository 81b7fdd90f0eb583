namespace InferenceMesh.Kubernetes;

/// <summary>Where a service learns its InferencePools, InferenceModels and endpoints.</summary>
public enum DiscoveryMode
{
    /// <summary>Kubernetes when running in a pod, else the pool file.</summary>
    Auto = 0,

    /// <summary>Watch InferencePool/InferenceModel CRs (and pods, where endpoints are needed) through the API server.</summary>
    Kubernetes = 1,

    /// <summary>Read the local pool file (multi-document YAML), reloaded on change.</summary>
    File = 2,

    /// <summary>No discovery: the view stays empty and the service relies on its own configuration.</summary>
    None = 3,
}
