namespace InferenceMesh.Prometheus;

/// <summary>Triton TensorRT-LLM names: <c>nv_trt_llm_request_metrics{request_type=waiting|scheduled}</c> and
/// <c>nv_trt_llm_kv_cache_block_metrics{kv_cache_block_type=fraction|tokens_per|max}</c>. Older backends have no
/// <c>fraction</c>; then usage is used / max.</summary>
internal ref struct TrtLlmVisitor : IPrometheusSampleVisitor
{
    private double _waiting;
    private double _running;
    private double _fraction;
    private double _used;
    private double _max;
    private double _tokensPer;
    private bool _hasWaiting;
    private bool _hasRunning;
    private bool _hasFraction;
    private bool _hasUsed;

    public void OnSample(in PrometheusSample sample)
    {
        var v = sample.Value;
        if (!EngineMetricsReader.IsUsable(v))
            return;
        if (sample.Name.SequenceEqual("nv_trt_llm_request_metrics"u8))
        {
            if (sample.LabelEquals("request_type"u8, "waiting"u8))
            {
                _waiting += v;
                _hasWaiting = true;
            }
            else if (sample.LabelEquals("request_type"u8, "scheduled"u8))
            {
                _running += v;
                _hasRunning = true;
            }
        }
        else if (sample.Name.SequenceEqual("nv_trt_llm_kv_cache_block_metrics"u8))
        {
            if (!sample.TryGetRawLabel("kv_cache_block_type"u8, out var kind))
                return;
            if (kind.SequenceEqual("fraction"u8))
            {
                _fraction = _hasFraction ? Math.Max(_fraction, v) : v;
                _hasFraction = true;
            }
            else if (kind.SequenceEqual("used"u8))
            {
                _used += v;
                _hasUsed = true;
            }
            else if (kind.SequenceEqual("max"u8))
            {
                _max += v;
            }
            else if (kind.SequenceEqual("tokens_per"u8))
            {
                _tokensPer = v;
            }
        }
    }

    public readonly bool Complete(out EngineMetricsValues values, out PrometheusParseError error)
    {
        values = default;
        if (!_hasWaiting)
        {
            error = EngineMetricsReader.Missing("nv_trt_llm_request_metrics{request_type=\"waiting\"}");
            return false;
        }
        if (!_hasRunning)
        {
            error = EngineMetricsReader.Missing("nv_trt_llm_request_metrics{request_type=\"scheduled\"}");
            return false;
        }
        double kv;
        if (_hasFraction)
            kv = _fraction;
        else if (_hasUsed && _max > 0)
            kv = _used / _max;
        else
        {
            error = EngineMetricsReader.Missing("nv_trt_llm_kv_cache_block_metrics{kv_cache_block_type=\"fraction\"} (or used and max)");
            return false;
        }
        error = default;
        values = new EngineMetricsValues(EngineMetricsReader.ToCount(_waiting), EngineMetricsReader.ToCount(_running),
            EngineMetricsReader.Clamp01(kv), string.Empty, string.Empty, 0, EngineMetricsReader.ToCount(_tokensPer),
            EngineMetricsReader.ToCount(_max));
        return true;
    }
}
