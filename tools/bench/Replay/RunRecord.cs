using System.Globalization;
using InferenceMesh.Bench.Results;
using InferenceMesh.Bench.Stats;
using InferenceMesh.Bench.Workloads;
using InferenceMesh.Contracts;

namespace InferenceMesh.Bench.Replay;

/// <summary>What one policy's run recorded per request and per server, and the figures made from it. Shared by the
/// virtual-time replay and the HTTP replay so both report the same way.</summary>
internal sealed class RunRecord
{
    public RunRecord(Workload workload, int servers, ReplayOptions options)
    {
        Workload = workload;
        Options = options;
        var n = workload.Requests.Count;
        Arrival = new double[n];
        FirstToken = new double[n];
        Array.Fill(FirstToken, double.NaN);
        Dispatched = new double[n];
        Array.Fill(Dispatched, double.NaN);
        Finished = new double[n];
        Status = new int[n];
        OutputTokens = new int[n];
        CachedTokens = new int[n];
        Server = new int[n];
        Array.Fill(Server, -1);
        RequestsPerServer = new int[servers];
        KvSum = new double[servers];
        KvMax = new double[servers];
        KvSamples = new List<double>[servers];
        for (var i = 0; i < servers; i++)
        {
            KvSamples[i] = [];
        }
    }

    public Workload Workload { get; }

    public ReplayOptions Options { get; }

    public double[] Arrival { get; }

    public double[] FirstToken { get; }

    /// <summary>When the policy placed the request on a server (after any wait in the picker's queue); NaN = never.</summary>
    public double[] Dispatched { get; }

    public double[] Finished { get; }

    public int[] Status { get; }

    public int[] OutputTokens { get; }

    public int[] CachedTokens { get; }

    public int[] Server { get; }

    public int[] RequestsPerServer { get; }

    public double[] KvSum { get; }

    public double[] KvMax { get; }

    public List<double>[] KvSamples { get; }

    public int Samples { get; private set; }

    /// <summary>Records one scrape's KV usage of every server.</summary>
    public void SampleKv(ReadOnlySpan<double> usage)
    {
        for (var s = 0; s < usage.Length; s++)
        {
            KvSum[s] += usage[s];
            KvMax[s] = Math.Max(KvMax[s], usage[s]);
            if (Options.KeepSeries)
            {
                KvSamples[s].Add(usage[s]);
            }
        }

        Samples++;
    }

    /// <summary>Appends this run's per-request rows to <see cref="ReplayOptions.RequestsOut"/>, when one was asked for.</summary>
    public void AppendRequests(string policyName)
    {
        if (Options.RequestsOut is { Length: > 0 } path)
        {
            Results.RequestsTsv.Append(path, policyName, this);
        }
    }

    public PolicyResult Summarise(string policyName, IReadOnlyList<string> addresses, IReadOnlyList<ServerCounters> counters)
    {
        var requests = Workload.Requests;
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
            first = Math.Min(first, Arrival[i]);
            last = Math.Max(last, Finished[i]);
            if (Status[i] != 200)
            {
                var key = Status[i].ToString(CultureInfo.InvariantCulture);
                errorsByStatus[key] = errorsByStatus.GetValueOrDefault(key) + 1;
                continue;
            }

            completed++;
            outTotal += OutputTokens[i];
            promptTokens += requests[i].InputTokens;
            cachedTotal += CachedTokens[i];
            var t = FirstToken[i] - Arrival[i];
            ttft.Add(t);
            e2e.Add(Finished[i] - Arrival[i]);
            if (OutputTokens[i] > 1)
            {
                tpot.Add((Finished[i] - FirstToken[i]) / (OutputTokens[i] - 1));
            }
        }

        long hits = 0, queries = 0, preemptions = 0;
        var servers = new ServerResult[addresses.Count];
        var kvMeans = new double[addresses.Count];
        for (var s = 0; s < addresses.Count; s++)
        {
            var c = counters[s];
            hits += c.PrefixHitsTokens;
            queries += c.PrefixQueriesTokens;
            preemptions += c.Preemptions;
            kvMeans[s] = Samples == 0 ? 0 : KvSum[s] / Samples;
            servers[s] = new ServerResult(
                addresses[s],
                RequestsPerServer[s],
                c.PrefixQueriesTokens == 0 ? 0 : (double)c.PrefixHitsTokens / c.PrefixQueriesTokens,
                kvMeans[s],
                KvMax[s]);
        }

        var meanKv = kvMeans.Length == 0 ? 0 : kvMeans.Average();
        var spread = meanKv <= 0 ? 0 : kvMeans.Max() / meanKv;
        var duration = Math.Max(0, last - (first == double.MaxValue ? 0 : first)) / 1000.0;
        return new PolicyResult(
            policyName,
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
            Options.KeepSeries ? Series(ttft) : null);
    }

    private Dictionary<string, CriticalityResult>? ByCriticality()
    {
        var requests = Workload.Requests;
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
                if (Status[i] != 200)
                {
                    var key = Status[i].ToString(CultureInfo.InvariantCulture);
                    errors[key] = errors.GetValueOrDefault(key) + 1;
                    continue;
                }

                ttft.Add(FirstToken[i] - Arrival[i]);
                e2e.Add(Finished[i] - Arrival[i]);
                if (OutputTokens[i] > 1)
                {
                    tpot.Add((Finished[i] - FirstToken[i]) / (OutputTokens[i] - 1));
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
        var requests = Workload.Requests;
        var order = new List<int>();
        for (var i = 0; i < requests.Count; i++)
        {
            if (Status[i] == 200)
            {
                order.Add(i);
            }
        }

        order.Sort((a, b) => Arrival[a].CompareTo(Arrival[b]));
        var stride = Math.Max(1, (order.Count + Options.MaxSeriesPoints - 1) / Options.MaxSeriesPoints);
        var ttft = new List<double[]>();
        for (var k = 0; k < order.Count; k += stride)
        {
            var i = order[k];
            ttft.Add([Math.Round(Arrival[i] / 1000.0, 3), Math.Round(FirstToken[i] - Arrival[i], 3)]);
        }

        var sorted = ttftValues.ToArray();
        Array.Sort(sorted);
        var quantiles = new double[101];
        for (var p = 0; p <= 100; p++)
        {
            quantiles[p] = sorted.Length == 0 ? 0 : Math.Round(Percentiles.OfSorted(sorted, p), 3);
        }

        var kvStride = Math.Max(1, (Samples + Options.MaxSeriesPoints - 1) / Options.MaxSeriesPoints);
        var kv = new List<double[]>();
        foreach (var serverSamples in KvSamples)
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

        return new SeriesData(ttft, quantiles, Options.ScrapeIntervalMs * kvStride, kv);
    }
}
