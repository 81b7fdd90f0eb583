namespace InferenceMesh.Prometheus;

/// <summary>vLLM names: V1 <c>kv_cache_usage_perc</c> preferred over the older <c>gpu_cache_usage_perc</c>; LoRA state from the
/// <c>lora_requests_info</c> series with the newest value (the value is a wall-clock timestamp).</summary>
internal ref struct VllmVisitor : IPrometheusSampleVisitor
{
    private double _waiting;
    private double _running;
    private double _kv;
    private double _gpuCache;
    private bool _hasWaiting;
    private bool _hasRunning;
    private bool _hasKv;
    private bool _hasGpuCache;
    private long _blockSize;
    private long _numBlocks;
    private double _loraStamp;
    private bool _hasLora;
    private ReadOnlySpan<byte> _runningLoras;
    private ReadOnlySpan<byte> _waitingLoras;
    private long _maxLora;

    public void OnSample(in PrometheusSample sample)
    {
        var name = sample.Name;
        if (!name.StartsWith("vllm:"u8))
            return;
        name = name[5..];
        var v = sample.Value;
        if (name.SequenceEqual("num_requests_waiting"u8))
        {
            if (EngineMetricsReader.IsUsable(v)) _waiting += v;
            _hasWaiting = true;
        }
        else if (name.SequenceEqual("num_requests_running"u8))
        {
            if (EngineMetricsReader.IsUsable(v)) _running += v;
            _hasRunning = true;
        }
        else if (name.SequenceEqual("kv_cache_usage_perc"u8))
        {
            if (EngineMetricsReader.IsUsable(v))
            {
                _kv = _hasKv ? Math.Max(_kv, v) : v;
                _hasKv = true;
            }
        }
        else if (name.SequenceEqual("gpu_cache_usage_perc"u8))
        {
            if (EngineMetricsReader.IsUsable(v))
            {
                _gpuCache = _hasGpuCache ? Math.Max(_gpuCache, v) : v;
                _hasGpuCache = true;
            }
        }
        else if (name.SequenceEqual("cache_config_info"u8))
        {
            if (sample.TryGetLabelInt64("block_size"u8, out var bs)) _blockSize = bs;
            if (sample.TryGetLabelInt64("num_gpu_blocks"u8, out var nb)) _numBlocks = nb;
        }
        else if (name.SequenceEqual("lora_requests_info"u8))
        {
            if (double.IsNaN(v) || (_hasLora && v < _loraStamp))
                return;
            _hasLora = true;
            _loraStamp = v;
            _runningLoras = sample.TryGetRawLabel("running_lora_adapters"u8, out var r) ? r : default;
            _waitingLoras = sample.TryGetRawLabel("waiting_lora_adapters"u8, out var w) ? w : default;
            _maxLora = sample.TryGetLabelInt64("max_lora"u8, out var m) ? m : 0;
        }
    }

    public readonly bool Complete(out EngineMetricsValues values, out PrometheusParseError error)
    {
        values = default;
        if (!_hasWaiting)
        {
            error = EngineMetricsReader.Missing("vllm:num_requests_waiting");
            return false;
        }
        if (!_hasRunning)
        {
            error = EngineMetricsReader.Missing("vllm:num_requests_running");
            return false;
        }
        if (!_hasKv && !_hasGpuCache)
        {
            error = EngineMetricsReader.Missing("vllm:kv_cache_usage_perc (or vllm:gpu_cache_usage_perc)");
            return false;
        }
        error = default;
        values = new EngineMetricsValues(
            EngineMetricsReader.ToCount(_waiting),
            EngineMetricsReader.ToCount(_running),
            EngineMetricsReader.Clamp01(_hasKv ? _kv : _gpuCache),
            _runningLoras.IsEmpty ? string.Empty : PrometheusEscaping.Unescape(_runningLoras),
            _waitingLoras.IsEmpty ? string.Empty : PrometheusEscaping.Unescape(_waitingLoras),
            EngineMetricsReader.ToCount(_maxLora),
            EngineMetricsReader.ToCount(_blockSize),
            EngineMetricsReader.ToCount(_numBlocks));
        return true;
    }
}
