namespace InferenceMesh.Prometheus;

/// <summary>Maps the pod label <c>inference.networking.k8s.io/engine-type</c> to an engine.</summary>
public static class ModelServerEngines
{
    /// <summary>Parses a label value; missing or empty means vLLM (the GIE default). Unknown values return false.</summary>
    public static bool TryParse(string? label, out ModelServerEngine engine)
    {
        engine = ModelServerEngine.Vllm;
        if (string.IsNullOrWhiteSpace(label))
            return true;
        switch (label.Trim().ToUpperInvariant())
        {
            case "VLLM":
                return true;
            case "SGLANG":
                engine = ModelServerEngine.SGLang;
                return true;
            // llm-d and KServe spell Triton's TensorRT-LLM backend in several ways.
            case "TRTLLM":
            case "TRT-LLM":
            case "TENSORRT-LLM":
            case "TRITON-TENSORRT-LLM":
            case "TRITON":
                engine = ModelServerEngine.TrtLlm;
                return true;
            default:
                return false;
        }
    }
}
