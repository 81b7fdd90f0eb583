namespace InferenceMesh.Prometheus;

/// <summary>SGLang names: <c>num_queue_reqs</c>, <c>num_running_reqs</c>, <c>token_usage</c>, <c>cache_config_info{page_size,num_pages}</c>.</summary>
internal ref struct SGLangVisitor : IPrometheusSampleVisitor
{
    private double _waiting;
    private double _running;
    private double _kv;
    private bool _hasWaiting;
    private bool _hasRunning;
    private bool _hasKv;
    private long _pageSize;
    private long _numPages;

    public void OnSample(in PrometheusSample sample)
    {
        var name = sample.Name;
        if (!name.StartsWith("sglang:"u8))
            return;
        name = name[7..];
        var v = sample.Value;
        if (name.SequenceEqual("num_queue_reqs"u8))
        {
            if (EngineMetricsReader.IsUsable(v)) _waiting += v;
            _hasWaiting = true;
        }
        else if (name.SequenceEqual("num_running_reqs"u8))
        {
            if (EngineMetricsReader.IsUsable(v)) _running += v;
            _hasRunning = true;
        }
        else if (name.SequenceEqual("token_usage"u8))
        {
            if (EngineMetricsReader.IsUsable(v))
            {
                _kv = _hasKv ? Math.Max(_kv, v) : v;
                _hasKv = true;
            }
        }
        else if (name.SequenceEqual("cache_config_info"u8))
        {
            if (sample.TryGetLabelInt64("page_size"u8, out var ps)) _pageSize = ps;
            if (sample.TryGetLabelInt64("num_pages"u8, out var np)) _numPages = np;
        }
    }

    public readonly bool Complete(out EngineMetricsValues values, out PrometheusParseError error)
    {
        values = default;
        if (!_hasWaiting)
        {
            error = EngineMetricsReader.Missing("sglang:num_queue_reqs");
            return false;
        }
        if (!_hasRunning)
        {
            error = EngineMetricsReader.Missing("sglang:num_running_reqs");
            return false;
        }
        if (!_hasKv)
        {
            error = EngineMetricsReader.Missing("sglang:token_usage");
            return false;
        }
        error = default;
        values = new EngineMetricsValues(EngineMetricsReader.ToCount(_waiting), EngineMetricsReader.ToCount(_running),
            EngineMetricsReader.Clamp01(_kv), string.Empty, string.Empty, 0, EngineMetricsReader.ToCount(_pageSize),
            EngineMetricsReader.ToCount(_numPages));
        return true;
    }
}
