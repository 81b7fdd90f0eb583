namespace InferenceMesh.Scheduling;

/// <summary>Filters → scorers → picker over one pool's endpoints. Not thread-safe: used under the scheduler lock,
/// with scratch arrays that grow with the pool and are reused, so a pick allocates nothing per endpoint.</summary>
internal sealed class EndpointPicker(SchedulerOptions options, Random random)
{
    private const double ScoreTie = 1e-9;

    /// <summary>Subtracted from a full endpoint's value: more than any score sum or predicted TTFT difference.</summary>
    private const double FullPenalty = 1e12;
    private int[] _candidates = new int[16];
    private double[] _values = new double[16];
    private int[] _matched = new int[16];
    private bool[] _full = new bool[16];
    private bool _fullLast;
    private int _count;
    private int _minQueue, _maxQueue, _minInFlight, _maxInFlight;

    /// <summary>Running mean of prompt tokens, for the queue-wait estimate of the predicted-TTFT picker.</summary>
    public double MeanPromptTokens { get; private set; } = 512;

    public int CandidateCount => _count;

    /// <summary>Predicted prefill time (ms) of the last pick on its primary endpoint, for that endpoint's backlog.</summary>
    public double ChosenPrefillMs { get; private set; }

    public void ObservePromptTokens(double tokens) => MeanPromptTokens += 0.05 * (tokens - MeanPromptTokens);

    /// <summary>Subset hint, then unhealthy endpoints out, then stale ones out unless nothing fresh remains.</summary>
    public int Filter(EndpointState[] endpoints, IReadOnlyList<string>? subset, long nowMs)
    {
        EnsureCapacity(endpoints.Length);
        HashSet<string>? subsetSet = subset is { Count: > 16 } ? new HashSet<string>(subset, StringComparer.Ordinal) : null;
        var n = 0;
        var fresh = 0;
        for (var i = 0; i < endpoints.Length; i++)
        {
            var e = endpoints[i];
            if (!Scorers.IsUsable(e))
                continue;
            if (subset is { Count: > 0 } && !(subsetSet?.Contains(e.Address) ?? ListContains(subset, e.Address)))
                continue;
            _candidates[n++] = i;
            if (e.IsFresh(nowMs, options.StalenessMs))
                fresh++;
        }
        if (fresh > 0 && fresh < n)
        {
            var m = 0;
            for (var k = 0; k < n; k++)
            {
                if (endpoints[_candidates[k]].IsFresh(nowMs, options.StalenessMs))
                    _candidates[m++] = _candidates[k];
            }
            n = m;
        }
        _count = n;
        return n;
    }

    /// <summary>True when every current candidate's saturation exceeds <paramref name="limit"/> (1 = the thresholds), or there is none.</summary>
    public bool AllSaturated(EndpointState[] endpoints, long nowMs, double limit = 1.0)
    {
        for (var k = 0; k < _count; k++)
        {
            if (Scorers.GateSaturation(endpoints[_candidates[k]], nowMs, options) <= limit)
                return false;
        }
        return true;
    }

    /// <summary>Ranks the candidates the gate counts as full (saturation above <paramref name="limit"/>) after all those
    /// with room, for the next <see cref="Pick"/> (they stay fallbacks). A request the gate lets through goes where the
    /// room is: before this, the gate opened because one endpoint had room and the scorers sent the whole release to
    /// another that was already full (its scraped queue looked shorter), piling a burst onto half the fleet.</summary>
    public void RankFullLast(EndpointState[] endpoints, long nowMs, double limit)
    {
        _fullLast = false;
        for (var k = 0; k < _count; k++)
        {
            _full[k] = Scorers.GateSaturation(endpoints[_candidates[k]], nowMs, options) > limit;
            _fullLast |= !_full[k];
        }
    }

    /// <summary>Ranks the current candidates and writes the primary then fallbacks (endpoint indices) to <paramref name="picked"/>.</summary>
    /// <returns>How many were written (0 when there is no candidate).</returns>
    public int Pick(
        EndpointState[] endpoints,
        ProfileOptions profile,
        IReadOnlyDictionary<string, int>? matches,
        int totalBlocks,
        string? adapter,
        long promptBytes,
        long nowMs,
        Span<int> picked,
        out ScoreBreakdown breakdown)
    {
        breakdown = default;
        var n = _count;
        if (n == 0 || picked.IsEmpty)
            return 0;
        var candidates = _candidates.AsSpan(0, n);
        var values = _values.AsSpan(0, n);
        var matched = _matched.AsSpan(0, n);
        FillMatches(endpoints, candidates, matched, matches);
        double tie;
        if (profile.Picker == PickerKind.PredictedTtft)
        {
            PredictCosts(endpoints, candidates, matched, totalBlocks, promptBytes, nowMs, values);
            tie = options.PredictedTtft.TieMs;
        }
        else
        {
            Score(endpoints, candidates, matched, totalBlocks, adapter, profile, values);
            tie = ScoreTie;
        }

        if (_fullLast)
        {
            _fullLast = false;
            for (var k = 0; k < n; k++)
            {
                if (_full[k])
                    values[k] -= FullPenalty;
            }
        }

        var written = 0;
        var first = PickBest(values, tie);
        picked[written++] = candidates[first];
        ChosenPrefillMs = PrefillMs(matched[first], PromptTokens(promptBytes, totalBlocks), Scorers.Saturation(endpoints[candidates[first]], nowMs, options));
        breakdown = Breakdown(endpoints[candidates[first]], matched[first], totalBlocks, adapter, profile, values[first]);
        values[first] = double.NegativeInfinity;
        while (written < picked.Length && written < n)
        {
            var best = -1;
            for (var k = 0; k < n; k++)
            {
                if (!double.IsNegativeInfinity(values[k]) && (best < 0 || values[k] > values[best]))
                    best = k;
            }
            if (best < 0)
                break;
            picked[written++] = candidates[best];
            values[best] = double.NegativeInfinity;
        }
        return written;
    }

    private void Score(
        EndpointState[] endpoints,
        ReadOnlySpan<int> candidates,
        ReadOnlySpan<int> matched,
        int totalBlocks,
        string? adapter,
        ProfileOptions p,
        Span<double> values)
    {
        _minQueue = _minInFlight = int.MaxValue;
        _maxQueue = _maxInFlight = int.MinValue;
        for (var k = 0; k < candidates.Length; k++)
        {
            var e = endpoints[candidates[k]];
            _minQueue = Math.Min(_minQueue, e.Waiting);
            _maxQueue = Math.Max(_maxQueue, e.Waiting);
            _minInFlight = Math.Min(_minInFlight, e.InFlight);
            _maxInFlight = Math.Max(_maxInFlight, e.InFlight);
        }
        var useLora = p.LoraWeight > 0 && !string.IsNullOrEmpty(adapter);
        var usePrefix = p.PrefixWeight > 0 && totalBlocks > 0;
        for (var k = 0; k < candidates.Length; k++)
        {
            var e = endpoints[candidates[k]];
            var total = 0.0;
            if (p.QueueWeight > 0)
                total += p.QueueWeight * Scorers.Relative(e.Waiting, _minQueue, _maxQueue);
            if (p.KvWeight > 0)
                total += p.KvWeight * Scorers.Kv(e.KvUsage);
            if (usePrefix)
                total += p.PrefixWeight * Scorers.Prefix(matched[k], totalBlocks);
            if (useLora)
                total += p.LoraWeight * Scorers.Lora(e, adapter);
            if (p.InFlightWeight > 0)
                total += p.InFlightWeight * Scorers.Relative(e.InFlight, _minInFlight, _maxInFlight);
            values[k] = total;
        }
    }

    /// <summary>Writes −(predicted TTFT in ms): queue wait ahead of the request + prefill of what the endpoint does not hold.</summary>
    private void PredictCosts(
        EndpointState[] endpoints,
        ReadOnlySpan<int> candidates,
        ReadOnlySpan<int> matched,
        int totalBlocks,
        long promptBytes,
        long nowMs,
        Span<double> values)
    {
        var t = options.PredictedTtft;
        var promptTokens = PromptTokens(promptBytes, totalBlocks);
        var perQueued = MeanPromptTokens * t.PrefillMsPerToken + t.OverheadMs;
        for (var k = 0; k < candidates.Length; k++)
        {
            var e = endpoints[candidates[k]];
            values[k] = -PredictTtft(e, matched[k], promptTokens, perQueued, nowMs);
        }
    }

    private double PredictTtft(EndpointState e, int matchedBlocks, double promptTokens, double perQueuedMs, long nowMs)
    {
        var t = options.PredictedTtft;
        var saturation = Scorers.Saturation(e, nowMs, options);
        // The scrape shows other replicas' load, the local backlog shows ours in detail; neither sees all, take the larger.
        var wait = Math.Max(e.EffectiveWaiting * perQueuedMs, e.BacklogUntilMs - nowMs) + e.Running * t.RunningRequestMs;
        var prefill = PrefillMs(matchedBlocks, promptTokens, saturation);
        var kvOver = e.KvUsage - options.KvThreshold;
        var kvPenalty = kvOver > 0 ? t.KvFullPenaltyMs * kvOver / Math.Max(1e-6, 1 - options.KvThreshold) : 0;
        var cost = wait + prefill + kvPenalty;
        return double.IsFinite(saturation) ? cost : cost + 1e6;
    }

    private double PrefillMs(int matchedBlocks, double promptTokens, double saturation)
    {
        var t = options.PredictedTtft;
        // A hit on a server that is already saturated is refused: piling onto it costs more than the prefill saved.
        var cached = saturation < t.PrefixLoadGate ? Math.Min(matchedBlocks * (double)t.PrefixBlockTokens, promptTokens - 1) : 0;
        var uncached = promptTokens - Math.Max(0, cached);
        return uncached * (t.PrefillMsPerToken + t.AttentionMsPerTokenPair * promptTokens) + t.OverheadMs;
    }

    private double PromptTokens(long promptBytes, int totalBlocks)
    {
        var t = options.PredictedTtft;
        return Math.Max(1.0, Math.Max(promptBytes / t.CharsPerToken, (double)totalBlocks * t.PrefixBlockTokens));
    }

    private int PickBest(ReadOnlySpan<double> values, double tie)
    {
        var best = 0;
        for (var k = 1; k < values.Length; k++)
        {
            if (values[k] > values[best])
                best = k;
        }
        var floor = values[best] - tie;
        var seen = 0;
        var chosen = best;
        for (var k = 0; k < values.Length; k++)
        {
            // Reservoir sampling over the ties: uniform without a second buffer.
            if (values[k] >= floor && random.Next(++seen) == 0)
                chosen = k;
        }
        return chosen;
    }

    private ScoreBreakdown Breakdown(EndpointState e, int matched, int totalBlocks, string? adapter, ProfileOptions p, double value)
    {
        if (p.Picker == PickerKind.PredictedTtft)
        {
            return new ScoreBreakdown(0, Scorers.Kv(e.KvUsage), Scorers.Prefix(matched, totalBlocks), Scorers.Lora(e, adapter), 0, 0, -value);
        }
        return new ScoreBreakdown(
            Scorers.Relative(e.Waiting, _minQueue, _maxQueue),
            Scorers.Kv(e.KvUsage),
            Scorers.Prefix(matched, totalBlocks),
            Scorers.Lora(e, adapter),
            Scorers.Relative(e.InFlight, _minInFlight, _maxInFlight),
            value,
            0);
    }

    private static void FillMatches(EndpointState[] endpoints, ReadOnlySpan<int> candidates, Span<int> matched, IReadOnlyDictionary<string, int>? matches)
    {
        if (matches is null || matches.Count == 0)
        {
            matched.Clear();
            return;
        }
        for (var k = 0; k < candidates.Length; k++)
            matched[k] = matches.TryGetValue(endpoints[candidates[k]].Address, out var m) ? Math.Max(0, m) : 0;
    }

    private void EnsureCapacity(int n)
    {
        if (_candidates.Length >= n)
            return;
        var size = Math.Max(n, _candidates.Length * 2);
        _candidates = new int[size];
        _values = new double[size];
        _matched = new int[size];
        _full = new bool[size];
    }

    private static bool ListContains(IReadOnlyList<string> list, string value)
    {
        for (var i = 0; i < list.Count; i++)
        {
            if (string.Equals(list[i], value, StringComparison.Ordinal))
                return true;
        }
        return false;
    }
}
