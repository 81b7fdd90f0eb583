namespace InferenceMesh.Scheduling;

/// <summary>Eligibility filter, then a scheduling profile's plugins (filters → weighted scorers → picker) over one pool's endpoints,
/// and the predicted-TTFT cost model they share. Not thread-safe: used under the scheduler lock,
/// with scratch arrays that grow with the pool and are reused, so a pick allocates nothing per endpoint.</summary>
internal sealed class EndpointPicker(SchedulerOptions options, Random random)
{
    /// <summary>Subtracted from a full endpoint's value: more than any score sum or predicted TTFT difference.</summary>
    private const double FullPenalty = 1e12;
    private int[] _candidates = new int[16];
    private double[] _values = new double[16];
    private double[] _scores = new double[16];
    private int[] _matched = new int[16];
    private bool[] _full = new bool[16];
    private double _fullLimit = double.NaN;
    private double _meanDecodeMs;
    private int _count;

    public SchedulerOptions Options => options;

    /// <summary>Running mean of prompt tokens, for the queue-wait estimate of the predicted-TTFT picker.</summary>
    public double MeanPromptTokens { get; private set; } = 512;

    public int CandidateCount => _count;

    /// <summary>Predicted prefill time (ms) of the last pick on its primary endpoint, for that endpoint's backlog.</summary>
    public double ChosenPrefillMs { get; private set; }

    /// <summary>Prompt blocks of the last pick its primary endpoint was credited with holding: the index's match, raised by
    /// the recent placements in a placement-aware profile.</summary>
    public int ChosenMatchedBlocks { get; private set; }

    public void ObservePromptTokens(double tokens) => MeanPromptTokens += 0.05 * (tokens - MeanPromptTokens);

    /// <summary>Subset hint, then unhealthy endpoints out, then stale ones out unless nothing fresh remains.</summary>
    public int Filter(EndpointState[] endpoints, IReadOnlyList<string>? subset, long nowMs)
    {
        EnsureCapacity(endpoints.Length);
        // Matched by IP, as the reference picker does: an entry may be a bare IP or name another port of the pod.
        HashSet<string>? subsetSet = subset is { Count: > 16 } ? SubsetHosts(subset) : null;
        var n = 0;
        var fresh = 0;
        for (var i = 0; i < endpoints.Length; i++)
        {
            var e = endpoints[i];
            if (!Scorers.IsUsable(e))
                continue;
            if (subset is { Count: > 0 } && !(subsetSet?.Contains(Host(e.Address).ToString()) ?? ListContainsHost(subset, e.Address)))
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
    public void RankFullLast(double limit) => _fullLimit = limit;

    /// <summary>Runs the profile over the current candidates — its filters, then its weighted scorers, then its picker — and
    /// writes the primary then fallbacks (endpoint indices, fallbacks in total order) to <paramref name="picked"/>. With a finite
    /// <paramref name="ttftBudgetMs"/> only the candidates predicted to meet it take part, when there is one. <paramref name="placements"/>
    /// (placement-aware profiles only) raises each candidate's match, while every candidate has requests waiting or its KV over
    /// the threshold, to the longest prefix of <paramref name="hashes"/> this replica sent there, and makes
    /// <see cref="ChosenPrefillMs"/> the prefill with the whole hit credited.</summary>
    /// <returns>How many were written (0 when there is no candidate).</returns>
    public int Pick(
        EndpointState[] endpoints,
        SchedulingProfile profile,
        IReadOnlyDictionary<string, int>? matches,
        int totalBlocks,
        string? adapter,
        long promptBytes,
        long nowMs,
        Span<int> picked,
        out ScoreBreakdown breakdown,
        double ttftBudgetMs = double.PositiveInfinity,
        RecentPlacements? placements = null,
        IReadOnlyList<ulong>? hashes = null)
    {
        breakdown = default;
        var fullLimit = _fullLimit;
        _fullLimit = double.NaN;
        var n = _count;
        if (n == 0 || picked.IsEmpty)
            return 0;
        FillMatches(endpoints, _candidates.AsSpan(0, n), _matched.AsSpan(0, n), matches);
        var inputs = new PickInputs(endpoints, totalBlocks, adapter, PromptTokens(promptBytes, totalBlocks), nowMs, this);
        MeasureSpeeds(endpoints);
        // Only under pressure: with a server idle the placement-aware profile is the predicted TTFT on the index's match alone.
        if (placements is not null && PrefillWorkScorer.Pressure(inputs, _candidates.AsSpan(0, n), 1) > 0)
            placements.Credit(hashes, totalBlocks, endpoints, _candidates.AsSpan(0, n), _matched.AsSpan(0, n));
        if (double.IsFinite(ttftBudgetMs))
            n = KeepMeeting(inputs, n, ttftBudgetMs);
        foreach (var filter in profile.Filters)
        {
            n = filter.Filter(inputs, _candidates.AsSpan(0, n), _matched.AsSpan(0, n));
            if (n == 0)
                return 0;
        }
        var candidates = _candidates.AsSpan(0, n);
        var values = _values.AsSpan(0, n);
        var matched = _matched.AsSpan(0, n);
        var scores = _scores.AsSpan(0, n);
        values.Clear();
        for (var s = 0; s < profile.Scorers.Length; s++)
        {
            profile.Scorers[s].Score(inputs, candidates, matched, scores);
            var weight = profile.Weights[s];
            for (var k = 0; k < n; k++)
                values[k] += weight * scores[k];
        }

        if (!double.IsNaN(fullLimit))
            PenalizeFull(inputs, candidates, values, fullLimit);

        var written = 0;
        var first = profile.Selector.Select(values, random);
        picked[written++] = candidates[first];
        // The backlog of a placement-aware profile is the prefill the server will compute: it uses its cache however loaded.
        // In the endpoint's time (its measured speed): the backlog drains in real time.
        ChosenMatchedBlocks = matched[first];
        ChosenPrefillMs = SpeedFactor(endpoints[candidates[first]])
            * PrefillMs(matched[first], inputs.PromptTokens, placements is null ? Scorers.Saturation(endpoints[candidates[first]], nowMs, options) : 0);
        breakdown = Breakdown(inputs, candidates, matched[first], candidates[first], values[first]);
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

    /// <summary>After <see cref="RankFullLast"/>: the candidates (as left by the filters) over the gate's limit rank after every
    /// one with room; when none has room the ranking stands.</summary>
    private void PenalizeFull(in PickInputs inputs, ReadOnlySpan<int> candidates, Span<double> values, double limit)
    {
        var full = _full.AsSpan(0, candidates.Length);
        var anyRoom = false;
        for (var k = 0; k < candidates.Length; k++)
        {
            full[k] = Scorers.GateSaturation(inputs.Endpoints[candidates[k]], inputs.NowMs, options) > limit;
            anyRoom |= !full[k];
        }
        if (!anyRoom)
            return;
        for (var k = 0; k < candidates.Length; k++)
        {
            if (full[k])
                values[k] -= FullPenalty;
        }
    }

    /// <summary>Whether a current candidate is predicted to return the first token within <paramref name="budgetMs"/>.</summary>
    public bool AnyMeetsTtft(EndpointState[] endpoints, IReadOnlyDictionary<string, int>? matches, int totalBlocks, long promptBytes, long nowMs, double budgetMs)
    {
        var n = _count;
        FillMatches(endpoints, _candidates.AsSpan(0, n), _matched.AsSpan(0, n), matches);
        MeasureSpeeds(endpoints);
        var promptTokens = PromptTokens(promptBytes, totalBlocks);
        var perQueued = PerQueuedMs;
        for (var k = 0; k < n; k++)
        {
            if (PredictTtft(endpoints[_candidates[k]], _matched[k], promptTokens, perQueued, nowMs) <= budgetMs)
                return true;
        }
        return false;
    }

    /// <summary>Keeps the first <paramref name="n"/> candidates predicted to meet <paramref name="budgetMs"/>; all when none does.</summary>
    private int KeepMeeting(in PickInputs inputs, int n, double budgetMs)
    {
        var perQueued = PerQueuedMs;
        var kept = 0;
        for (var k = 0; k < n; k++)
        {
            if (PredictTtft(inputs.Endpoints[_candidates[k]], _matched[k], inputs.PromptTokens, perQueued, inputs.NowMs) > budgetMs)
                continue;
            _candidates[kept] = _candidates[k];
            _matched[kept] = _matched[k];
            kept++;
        }
        return kept > 0 ? kept : n;
    }

    /// <summary>Predicted wait per request already queued on an endpoint: the running mean prompt's prefill.</summary>
    public double PerQueuedMs => MeanPromptTokens * options.PredictedTtft.PrefillMsPerToken + options.PredictedTtft.OverheadMs;

    /// <summary>Sets the mean measured decode speed of the pool's usable endpoints for <see cref="SpeedFactor"/> (0 = none
    /// measured): the pool, not the candidates, so an endpoint's factor does not change with a request's subset hint.</summary>
    private void MeasureSpeeds(EndpointState[] endpoints)
    {
        _meanDecodeMs = 0;
        if (!options.PredictedTtft.MeasuredSpeed)
            return;
        double sum = 0;
        var count = 0;
        foreach (var e in endpoints)
        {
            var d = Scorers.IsUsable(e) ? e.MeasuredDecodeMsPerToken : 0;
            if (d > 0)
            {
                sum += d;
                count++;
            }
        }
        _meanDecodeMs = count > 0 ? sum / count : 0;
    }

    /// <summary>How much slower (&gt; 1) or faster (&lt; 1) <paramref name="e"/> decodes than the pool's mean, with
    /// <c>SpeedTolerance</c> taken off (1 within it, or when it or the mean is not measured). Multiplies the time estimates
    /// of the cost model: a queue or a prefill takes that much longer there.</summary>
    private double SpeedFactor(EndpointState e)
    {
        var d = e.MeasuredDecodeMsPerToken;
        if (_meanDecodeMs <= 0 || d <= 0)
            return 1;
        var ratio = d / _meanDecodeMs;
        var tolerance = options.PredictedTtft.SpeedTolerance;
        return ratio > tolerance ? ratio / tolerance : ratio * tolerance < 1 ? ratio * tolerance : 1;
    }

    /// <summary>Predicted time to first token (ms) on <paramref name="e"/>: queue wait ahead of the request + prefill of what
    /// it does not hold, at the endpoint's measured speed.</summary>
    public double PredictTtft(EndpointState e, int matchedBlocks, double promptTokens, double perQueuedMs, long nowMs)
    {
        var t = options.PredictedTtft;
        var saturation = Scorers.Saturation(e, nowMs, options);
        var speed = SpeedFactor(e);
        // The scrape shows other replicas' load, the local backlog shows ours in detail; neither sees all, take the larger.
        // The backlog is kept in the endpoint's time already (ChosenPrefillMs); the model's figures are scaled to it.
        var wait = Math.Max(e.EffectiveWaiting * perQueuedMs * speed, e.BacklogUntilMs - nowMs) + (e.Running * t.RunningRequestMs * speed);
        var prefill = PrefillMs(matchedBlocks, promptTokens, saturation) * speed;
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

    private ScoreBreakdown Breakdown(in PickInputs inputs, ReadOnlySpan<int> candidates, int matched, int chosen, double total)
    {
        int minQueue = int.MaxValue, maxQueue = int.MinValue, minInFlight = int.MaxValue, maxInFlight = int.MinValue;
        foreach (var c in candidates)
        {
            var x = inputs.Endpoints[c];
            minQueue = Math.Min(minQueue, x.Waiting);
            maxQueue = Math.Max(maxQueue, x.Waiting);
            minInFlight = Math.Min(minInFlight, x.InFlight);
            maxInFlight = Math.Max(maxInFlight, x.InFlight);
        }
        var e = inputs.Endpoints[chosen];
        return new ScoreBreakdown(
            Scorers.Relative(e.Waiting, minQueue, maxQueue),
            Scorers.Kv(e.KvUsage),
            Scorers.Prefix(matched, inputs.TotalBlocks),
            Scorers.Lora(e, inputs.Adapter),
            Scorers.Relative(e.InFlight, minInFlight, maxInFlight),
            total,
            PredictTtft(e, matched, inputs.PromptTokens, PerQueuedMs, inputs.NowMs));
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
        _scores = new double[size];
        _matched = new int[size];
        _full = new bool[size];
    }

    private static bool ListContainsHost(IReadOnlyList<string> list, string address)
    {
        var host = Host(address);
        for (var i = 0; i < list.Count; i++)
        {
            if (Host(list[i]).SequenceEqual(host))
                return true;
        }
        return false;
    }

    private static HashSet<string> SubsetHosts(IReadOnlyList<string> subset)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < subset.Count; i++)
            set.Add(Host(subset[i]).ToString());
        return set;
    }

    /// <summary>The IP (or name) of "ip:port", "[v6]:port", a bare IPv4 or a bare IPv6 address.</summary>
    internal static ReadOnlySpan<char> Host(string endpoint)
    {
        var s = endpoint.AsSpan();
        if (s.Length > 0 && s[0] == '[')
        {
            var close = s.IndexOf(']');
            return close > 0 ? s[1..close] : s;
        }
        var colon = s.IndexOf(':');
        return colon >= 0 && colon == s.LastIndexOf(':') ? s[..colon] : s;
    }
}
