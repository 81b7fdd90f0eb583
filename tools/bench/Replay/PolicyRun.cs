using System.Globalization;
using InferenceMesh.Bench.Policies;
using InferenceMesh.Bench.Results;
using InferenceMesh.Bench.Stats;
using InferenceMesh.Bench.Workloads;
using InferenceMesh.Contracts;

namespace InferenceMesh.Bench.Replay;

/// <summary>One policy's replay of a workload on a fresh fleet: a discrete-event loop interleaving the replay's own events
/// (arrivals, scrapes, snapshot deliveries, session follow-ups) with the engine's. With several picker replicas each has
/// its own policy instance and its own <see cref="FleetView"/> (own outstanding counts, own copy of the snapshots,
/// delivered after the pub/sub delay); a request stays with the replica it was spread to.</summary>
internal sealed partial class PolicyRun
{
    private const double StuckAfterMs = 600_000;

    private readonly Workload workload;
    private readonly IFleetEngine engine;
    private readonly Func<int, IRoutingPolicy> createPolicy;
    private readonly IRoutingPolicy?[] policies;
    private readonly IRoutingPolicy policy;
    private readonly FleetView[] views;
    private readonly ReplayOptions options;
    private readonly ReplicaOptions replicas;
    private readonly Action<ReplayProgress>? progress;
    private readonly PriorityQueue<(Kind Kind, int Index), (double Time, long Seq)> events = new();
    private readonly List<int> deferred = [];
    private readonly RoutingRequest?[] routing;
    private readonly RunRecord rec;
    private readonly int[] nextInSession;
    private readonly bool[] followUp;
    private long seq;
    private int done;
    private int nextClosed;
    private double lastProgressMs;
    private bool retrying;
    private bool retryScheduled;

    public PolicyRun(Workload workload, IFleetEngine engine, Func<int, IRoutingPolicy> createPolicy, ReplayOptions options, Action<ReplayProgress>? progress)
    {
        this.workload = workload;
        this.engine = engine;
        this.createPolicy = createPolicy;
        this.options = options;
        this.progress = progress;
        replicas = options.Replicas ?? ReplicaOptions.OnePicker;
        var n = workload.Requests.Count;
        routing = new RoutingRequest?[n];
        nextInSession = new int[n];
        Array.Fill(nextInSession, -1);
        followUp = new bool[n];
        var m = engine.Count;
        rec = new RunRecord(workload, m, options);
        var metrics = new EndpointMetrics[m];
        for (var i = 0; i < m; i++)
        {
            metrics[i] = engine.Scrape(i);
        }

        replicaOf = new int[n];
        Array.Fill(replicaOf, -1);
        var count = Math.Max(1, replicas.Count);
        policies = new IRoutingPolicy?[count];
        views = new FleetView[count];
        spreadRandom = new Random(options.Seed);
        requestsPerReplica = new int[count];
        overshoot = new QueueOvershoot(QueueThreshold);
        latest = metrics;
        for (var r = 0; r < count; r++)
        {
            views[r] = new FleetView((EndpointMetrics[])metrics.Clone(), new int[m]);
            if (!Joins(r))
            {
                policies[r] = createPolicy(r);
            }
        }

        policy = policies[0]!;
        if (policy is IOraclePolicy)
        {
            foreach (var v in views)
            {
                v.Oracle = engine.Oracle;
            }
        }
    }

    private enum Kind
    {
        Arrive,
        Scrape,
        Retry,
        Deliver,
        Join,
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
        if (replicas.JoinAtMs is { } joinAt && policies.Length > 1)
        {
            Schedule(joinAt, Kind.Join, policies.Length - 1);
        }

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
            foreach (var v in views)
            {
                v.NowMs = tDriver;
            }

            switch (kind)
            {
                case Kind.Arrive:
                    Arrive(index, tDriver);
                    break;
                case Kind.Scrape:
                    ScrapeAll(tDriver);
                    break;
                case Kind.Deliver:
                    Deliver(inTransit.Dequeue(), tDriver);
                    break;
                case Kind.Join:
                    Join(index, tDriver);
                    break;
                default:
                    retryScheduled = false;
                    RetryDeferred(tDriver);
                    break;
            }
        }

        var counters = new ServerCounters[engine.Count];
        for (var s = 0; s < counters.Length; s++)
        {
            counters[s] = engine.Counters(s);
        }

        rec.AppendRequests(policy.Name);
        return rec.Summarise(policy.Name, engine.Addresses, counters) with
        {
            Replicas = Describe(),
            Goodput = GoodputStats.From(rec, routing, counters, s => engine is SimFleetEngine sim ? sim.Evictions(s) : 0),
        };
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
        rec.Arrival[i] = now;
        replicaOf[i] = NextReplica();
        requestsPerReplica[replicaOf[i]]++;
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
        var replica = replicaOf[i];
        var picker = policies[replica]!;
        var view = views[replica];
        var pick = picker.Pick(req, view);
        if (pick == Picks.Defer)
        {
            return false;
        }

        if (Picks.StatusOf(pick) is > 0 and var refused)
        {
            Finish(i, now, refused, 0, 0);
            return true;
        }

        if ((uint)pick >= (uint)engine.Count)
        {
            throw new InvalidOperationException($"policy {policy.Name} picked endpoint {pick} of {engine.Count}");
        }

        rec.Server[i] = pick;
        rec.Dispatched[i] = now;
        rec.RequestsPerServer[pick]++;
        view.OutstandingArray[pick]++;
        picker.OnDispatched(req, pick, view);
        CountDecision(i, replica, now);
        engine.Submit(pick, new EngineRequest(i, req, c => OnEngineCompleted(i, c)));
        return true;
    }

    private void OnEngineCompleted(int i, EngineCompletion c)
    {
        views[replicaOf[i]].OutstandingArray[rec.Server[i]]--;
        rec.FirstToken[i] = c.FirstTokenMs;
        Finish(i, c.FinishedMs, c.StatusCode, c.OutputTokens, c.CachedTokens);
    }

    private void Finish(int i, double t, int code, int outTokens, int cached)
    {
        rec.Finished[i] = t;
        rec.Status[i] = code;
        rec.OutputTokens[i] = outTokens;
        rec.CachedTokens[i] = cached;
        done++;
        lastProgressMs = t;
        var ttft = double.IsNaN(rec.FirstToken[i]) ? double.NaN : rec.FirstToken[i] - rec.Arrival[i];
        policies[replicaOf[i]]!.OnCompleted(routing[i]!, rec.Server[i], new RequestOutcome(code, ttft, t - rec.Arrival[i], outTokens, cached));
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
        var metrics = new EndpointMetrics[engine.Count];
        Span<double> usage = metrics.Length <= 256 ? stackalloc double[metrics.Length] : new double[metrics.Length];
        for (var s = 0; s < metrics.Length; s++)
        {
            metrics[s] = engine.Scrape(s);
            usage[s] = metrics[s].KvUsage;
            overshoot.Sample(metrics[s].Waiting);
        }

        rec.SampleKv(usage);
        if (replicas.SnapshotDelayMs > 0)
        {
            // Pub/sub takes a while: every replica sees this scrape later, all at once.
            inTransit.Enqueue(metrics);
            Schedule(now + replicas.SnapshotDelayMs, Kind.Deliver, -1);
        }
        else
        {
            Deliver(metrics, now);
        }

        if (deferred.Count > 0 && double.IsPositiveInfinity(engine.NextEventMs) && now - lastProgressMs > StuckAfterMs)
        {
            FailDeferred(503);
        }

        if (done < workload.Requests.Count)
        {
            Schedule(now + options.ScrapeIntervalMs, Kind.Scrape, -1);
        }
    }

    /// <summary>A snapshot reaches every running replica; queued requests get another chance.</summary>
    private void Deliver(EndpointMetrics[] metrics, double now)
    {
        latest = metrics;
        for (var r = 0; r < views.Length; r++)
        {
            if (policies[r] is not null)
            {
                Array.Copy(metrics, views[r].MetricsArray, metrics.Length);
            }
        }

        if (deferred.Count > 0)
        {
            RetryDeferred(now);
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
            Finish(i, views[0].NowMs, code, 0, 0);
        }
    }
}
