namespace InferenceMesh.Prometheus;

/// <summary>Model-server families whose metric names the collector knows.</summary>
public enum ModelServerEngine
{
    Vllm = 0,
    SGLang = 1,
    TrtLlm = 2,
}
