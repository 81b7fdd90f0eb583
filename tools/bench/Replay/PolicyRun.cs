using System.Globalization;
using InferenceMesh.Bench.Policies;
using InferenceMesh.Bench.Results;
using InferenceMesh.Bench.Stats;
using InferenceMesh.Bench.Workloads;
using InferenceMesh.Contracts;

namespace InferenceMesh.Bench.Replay;

/// <summary>One policy's replay of a workload on a fresh fleet: a discrete-event loop interleaving the replay's own events
/// (arrivals, scrapes, session follow-ups) with the engine's.</summary>
internal sealed class PolicyRun
{
    private const double StuckAfterMs = 600_000;

    private readonly Workload workload;
    private readonly IFleetEngine engine;
    private readonly IRoutingPolicy policy;
    private readonly ReplayOptions options;
    private readonly Action<ReplayProgress>? progress;
    private readonly FleetView view;
    private readonly PriorityQueue<(Kind Kind, int Index), (double Time, long Seq)> events = new();
    private readonly List<int> deferred = [];
    private readonly RoutingRequest?[] routing;
    private readonly double[] arrival;
    private readonly double[] firstToken;
    private readonly double[] finished;
    private readonly int[] status;
    private readonly int[] outputTokens;
    private readonly int[] cachedTokens;
    private readonly int[] server;
    private readonly int[] nextInSession;
    private readonly bool[] followUp;
    private readonly int[] requestsPerServer;
    private readonly double[] kvSum;
    private readonly double[] kvMax;
    private readonly List<double>[] kvSamples;
    private long seq;
    private int done;
    private int nextClosed;
    private int samples;
    private double lastProgressMs;
    private bool retrying;
    private bool retryScheduled;

    public PolicyRun(Workload workload, IFleetEngine engine, IRoutingPolicy policy, ReplayOptions options, Action<ReplayProgress>? progress)
    {
        this.workload = workload;
        this.engine = engine;
        this.policy = policy;
        this.options = options;
        this.progress = progress;
        var n = workload.Requests.Count;
        routing = new RoutingRequest?[n];
        arrival = new double[n];
        firstToken = new double[n];
        finished = new double[n];
        status = new int[n];
        outputTokens = new int[n];
        cachedTokens = new int[n];
        server = new int[n];
        Array.Fill(server, -1);
        Array.Fill(firstToken, double.NaN);
        nextInSession = new int[n];
        Array.Fill(nextInSession, -1);
        followUp = new bool[n];
        var m = engine.Count;
        requestsPerServer = new int[m];
        kvSum = new double[m];
        kvMax = new double[m];
        kvSamples = new List<double>[m];
        for (var i = 0; i < m; i++)
        {
            kvSamples[i] = [];
        }

        var metrics = new EndpointMetrics[m];
        for (var i = 0; i < m; i++)
        {
            metrics[i] = engine.Scrape(i);
        }

        view = new FleetView(metrics, new int[m]);
        if (policy is IOraclePolicy)
        {
            view.Oracle = engine.Oracle;
        }
    }

    private enum Kind
    {
        Arrive,
        Scrape,
        Retry,
    }

    public PolicyResult Run()
    {
        var requests = workload.Requests;
        var lastOfSession = new Dictionary<int, int>();
        for (var i = 0; i < requests.Count; i++)
        {
            var r = requests[i];
            if (r.Session >= 0)
            {
                if (lastOfSession.TryGetValue(r.Session, out var prev))
                {
                    nextInSession[prev] = i;
                    followUp[i] = true;
                    lastOfSession[r.Session] = i;
                    continue;
                }

                lastOfSession[r.Session] = i;
            }

            if (workload.Mode == ArrivalMode.OpenLoop)
            {
                Schedule(r.ArrivalMs, Kind.Arrive, i);
            }
        }

        if (workload.Mode == ArrivalMode.ClosedLoop)
        {
            // Session follow-ups are released by their session, not by the concurrency window.
            var c = Math.Max(1, workload.Concurrency);
            while (c-- > 0)
            {
                ReleaseNextClosed(0);
            }
        }

        Schedule(0, Kind.Scrape, -1);
        while (done < requests.Count)
        {
            var tDriver = events.TryPeek(out _, out var key) ? key.Time : double.PositiveInfinity;
            var tEngine = engine.NextEventMs;
            if (double.IsPositiveInfinity(tDriver) && double.IsPositiveInfinity(tEngine))
            {
                FailDeferred(503);
                break;
            }

            // Ties go to the replay's events: arrivals at t join the engine step that starts at t, as in vLLM.
            if (tEngine < tDriver)
            {
                engine.RunNextEvent();
                continue;
            }

            engine.AdvanceTo(tDriver);
            var (kind, index) = events.Dequeue();
            view.NowMs = tDriver;
            switch (kind)
            {
                case Kind.Arrive:
                    Arrive(index, tDriver);
                    break;
                case Kind.Scrape:
                    ScrapeAll(tDriver);
                    break;
                default:
                    retryScheduled = false;
                    RetryDeferred(tDriver);
                    break;
            }
        }

        return Summarise();
    }

    private void Schedule(double time, Kind kind, int index) => events.Enqueue((kind, index), (time, seq++));

    private void ReleaseNextClosed(double now)
    {
        var requests = workload.Requests;
        while (nextClosed < requests.Count)
        {
            var i = nextClosed++;
            if (!IsFollowUp(i))
            {
                Schedule(now, Kind.Arrive, i);
                return;
            }
        }
    }

    private bool IsFollowUp(int i) => followUp[i];

    private void Arrive(int i, double now)
    {
        var r = workload.Requests[i];
        arrival[i] = now;
        routing[i] = new RoutingRequest(
            i,
            "r" + i.ToString(CultureInfo.InvariantCulture),
            r.Model,
            r.Criticality,
            PromptBlocks.BlockHashes(r.Segments, PromptBlocks.ModelSalt(r.Model)),
            r.InputTokens,
            r.OutputTokens,
            now);
        if (!TryPlace(i, now))
        {
            deferred.Add(i);
        }
    }

    private bool TryPlace(int i, double now)
    {
        var req = routing[i]!;
        var pick = policy.Pick(req, view);
        if (pick == Picks.Defer)
        {
            return false;
        }

        if (pick == Picks.Reject)
        {
            Finish(i, now, 429, 0, 0);
            return true;
        }

        if ((uint)pick >= (uint)engine.Count)
        {
            throw new InvalidOperationException($"policy {policy.Name} picked endpoint {pick} of {engine.Count}");
        }

        server[i] = pick;
        requestsPerServer[pick]++;
        view.OutstandingArray[pick]++;
        policy.OnDispatched(req, pick, view);
        engine.Submit(pick, new EngineRequest(i, req, c => OnEngineCompleted(i, c)));
        return true;
    }

    private void OnEngineCompleted(int i, EngineCompletion c)
    {
        view.OutstandingArray[server[i]]--;
        firstToken[i] = c.FirstTokenMs;
        Finish(i, c.FinishedMs, c.StatusCode, c.OutputTokens, c.CachedTokens);
    }

    private void Finish(int i, double t, int code, int outTokens, int cached)
    {
        finished[i] = t;
        status[i] = code;
        outputTokens[i] = outTokens;
        cachedTokens[i] = cached;
        done++;
        lastProgressMs = t;
        var ttft = double.IsNaN(firstToken[i]) ? double.NaN : firstToken[i] - arrival[i];
        policy.OnCompleted(routing[i]!, server[i], new RequestOutcome(code, ttft, t - arrival[i], outTokens, cached));
        var next = nextInSession[i];
        if (next >= 0)
        {
            Schedule(t + workload.Requests[next].ThinkMs, Kind.Arrive, next);
        }

        if (workload.Mode == ArrivalMode.ClosedLoop && !IsFollowUp(i))
        {
            ReleaseNextClosed(t);
        }

        if ((done & 63) == 0 || done == workload.Requests.Count)
        {
            progress?.Invoke(new ReplayProgress(policy.Name, done, workload.Requests.Count, t));
        }

        // Deferred requests are retried from the replay's own queue, never inside an engine callback.
        if (deferred.Count > 0 && !retrying && !retryScheduled)
        {
            retryScheduled = true;
            Schedule(t, Kind.Retry, -1);
        }
    }

    private void ScrapeAll(double now)
    {
        var metrics = view.MetricsArray;
        for (var s = 0; s < metrics.Length; s++)
        {
            metrics[s] = engine.Scrape(s);
            var kv = metrics[s].KvUsage;
            kvSum[s] += kv;
            kvMax[s] = Math.Max(kvMax[s], kv);
            if (options.KeepSeries)
            {
                kvSamples[s].Add(kv);
            }
        }

        samples++;
        if (deferred.Count > 0)
        {
            RetryDeferred(now);
            if (deferred.Count > 0 && double.IsPositiveInfinity(engine.NextEventMs) && now - lastProgressMs > StuckAfterMs)
            {
                FailDeferred(503);
            }
        }

        if (done < workload.Requests.Count)
        {
            Schedule(now + options.ScrapeIntervalMs, Kind.Scrape, -1);
        }
    }

    private void RetryDeferred(double now)
    {
        var pending = deferred.ToArray();
        deferred.Clear();
        retrying = true;
        foreach (var i in pending)
        {
            if (!TryPlace(i, now))
            {
                deferred.Add(i);
            }
        }

        retrying = false;
    }

    private void FailDeferred(int code)
    {
        var pending = deferred.ToArray();
        deferred.Clear();
        foreach (var i in pending)
        {
            Finish(i, view.NowMs, code, 0, 0);
        }
    }

    private PolicyResult Summarise()
    {
        var requests = workload.Requests;
        var ttft = new List<double>();
        var tpot = new List<double>();
        var e2e = new List<double>();
        var errorsByStatus = new SortedDictionary<string, int>(StringComparer.Ordinal);
        long outTotal = 0;
        var first = double.MaxValue;
        var last = 0.0;
        var completed = 0;
        long promptTokens = 0, cachedTotal = 0;
        for (var i = 0; i < requests.Count; i++)
        {
            first = Math.Min(first, arrival[i]);
            last = Math.Max(last, finished[i]);
            if (status[i] != 200)
            {
                var key = status[i].ToString(CultureInfo.InvariantCulture);
                errorsByStatus[key] = errorsByStatus.GetValueOrDefault(key) + 1;
                continue;
            }

            completed++;
            outTotal += outputTokens[i];
            promptTokens += requests[i].InputTokens;
            cachedTotal += cachedTokens[i];
            var t = firstToken[i] - arrival[i];
            ttft.Add(t);
            e2e.Add(finished[i] - arrival[i]);
            if (outputTokens[i] > 1)
            {
                tpot.Add((finished[i] - firstToken[i]) / (outputTokens[i] - 1));
            }
        }

        long hits = 0, queries = 0, preemptions = 0;
        var servers = new ServerResult[engine.Count];
        var kvMeans = new double[engine.Count];
        for (var s = 0; s < engine.Count; s++)
        {
            var c = engine.Counters(s);
            hits += c.PrefixHitsTokens;
            queries += c.PrefixQueriesTokens;
            preemptions += c.Preemptions;
            kvMeans[s] = samples == 0 ? 0 : kvSum[s] / samples;
            servers[s] = new ServerResult(
                engine.Addresses[s],
                requestsPerServer[s],
                c.PrefixQueriesTokens == 0 ? 0 : (double)c.PrefixHitsTokens / c.PrefixQueriesTokens,
                kvMeans[s],
                kvMax[s]);
        }

        var meanKv = kvMeans.Length == 0 ? 0 : kvMeans.Average();
        var spread = meanKv <= 0 ? 0 : kvMeans.Max() / meanKv;
        var duration = Math.Max(0, last - (first == double.MaxValue ? 0 : first)) / 1000.0;
        return new PolicyResult(
            policy.Name,
            requests.Count,
            completed,
            requests.Count - completed,
            errorsByStatus,
            Percentiles.Summarise(ttft),
            Percentiles.Summarise(tpot),
            Percentiles.Summarise(e2e),
            duration <= 0 ? 0 : outTotal / duration,
            duration,
            queries == 0 ? 0 : (double)hits / queries,
            hits,
            queries,
            promptTokens == 0 ? 0 : (double)cachedTotal / promptTokens,
            spread,
            preemptions,
            servers,
            ByCriticality(),
            options.KeepSeries ? Series(ttft) : null);
    }

    private Dictionary<string, CriticalityResult>? ByCriticality()
    {
        var requests = workload.Requests;
        var kinds = new SortedSet<Criticality>();
        foreach (var r in requests)
        {
            kinds.Add(r.Criticality);
        }

        if (kinds.Count < 2)
        {
            return null;
        }

        var result = new Dictionary<string, CriticalityResult>(StringComparer.Ordinal);
        foreach (var k in kinds)
        {
            var ttft = new List<double>();
            var tpot = new List<double>();
            var e2e = new List<double>();
            var errors = new SortedDictionary<string, int>(StringComparer.Ordinal);
            var count = 0;
            for (var i = 0; i < requests.Count; i++)
            {
                if (requests[i].Criticality != k)
                {
                    continue;
                }

                count++;
                if (status[i] != 200)
                {
                    var key = status[i].ToString(CultureInfo.InvariantCulture);
                    errors[key] = errors.GetValueOrDefault(key) + 1;
                    continue;
                }

                ttft.Add(firstToken[i] - arrival[i]);
                e2e.Add(finished[i] - arrival[i]);
                if (outputTokens[i] > 1)
                {
                    tpot.Add((finished[i] - firstToken[i]) / (outputTokens[i] - 1));
                }
            }

            var errorCount = 0;
            foreach (var v in errors.Values)
            {
                errorCount += v;
            }

            result[k.ToString()] = new CriticalityResult(
                count, errorCount, errors, Percentiles.Summarise(ttft), Percentiles.Summarise(tpot), Percentiles.Summarise(e2e));
        }

        return result;
    }

    private SeriesData Series(List<double> ttftValues)
    {
        var requests = workload.Requests;
        var order = new List<int>();
        for (var i = 0; i < requests.Count; i++)
        {
            if (status[i] == 200)
            {
                order.Add(i);
            }
        }

        order.Sort((a, b) => arrival[a].CompareTo(arrival[b]));
        var stride = Math.Max(1, (order.Count + options.MaxSeriesPoints - 1) / options.MaxSeriesPoints);
        var ttft = new List<double[]>();
        for (var k = 0; k < order.Count; k += stride)
        {
            var i = order[k];
            ttft.Add([Math.Round(arrival[i] / 1000.0, 3), Math.Round(firstToken[i] - arrival[i], 3)]);
        }

        var sorted = ttftValues.ToArray();
        Array.Sort(sorted);
        var quantiles = new double[101];
        for (var p = 0; p <= 100; p++)
        {
            quantiles[p] = sorted.Length == 0 ? 0 : Math.Round(Percentiles.OfSorted(sorted, p), 3);
        }

        var kvStride = Math.Max(1, (samples + options.MaxSeriesPoints - 1) / options.MaxSeriesPoints);
        var kv = new List<double[]>();
        foreach (var serverSamples in kvSamples)
        {
            var buckets = new double[(serverSamples.Count + kvStride - 1) / kvStride];
            for (var b = 0; b < buckets.Length; b++)
            {
                var sum = 0.0;
                var n = 0;
                for (var j = b * kvStride; j < Math.Min(serverSamples.Count, (b + 1) * kvStride); j++)
                {
                    sum += serverSamples[j];
                    n++;
                }

                buckets[b] = Math.Round(sum / n, 4);
            }

            kv.Add(buckets);
        }

        return new SeriesData(ttft, quantiles, options.ScrapeIntervalMs * kvStride, kv);
    }
}
