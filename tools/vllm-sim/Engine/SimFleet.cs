namespace InferenceMesh.VllmSim;

/// <summary>
/// N independent simulated servers on one clock. Events are processed in global time order (ties: lower server index
/// first), so a completion callback on one server may submit to any other at the completion's time.
/// </summary>
public sealed class SimFleet
{
    private readonly SimServer[] _servers;

    /// <summary>A fleet of <paramref name="count"/> servers with the same options.</summary>
    public SimFleet(SimServerOptions options, int count)
        : this(Repeat(options, count))
    {
    }

    /// <summary>A fleet with one server per options entry.</summary>
    public SimFleet(IReadOnlyList<SimServerOptions> servers)
    {
        ArgumentNullException.ThrowIfNull(servers);
        if (servers.Count == 0)
            throw new ArgumentException("a fleet needs at least one server", nameof(servers));
        _servers = new SimServer[servers.Count];
        for (var i = 0; i < _servers.Length; i++)
        {
            var s = new SimServer(servers[i], i, Clock, ownsClock: false);
            s.RequestFinished = r => RequestFinished?.Invoke(r);
            _servers[i] = s;
        }
    }

    /// <summary>The shared clock.</summary>
    public SimClock Clock { get; } = new();

    /// <summary>Current simulated time, ms.</summary>
    public double NowMs => Clock.NowMs;

    /// <summary>The servers, by index.</summary>
    public IReadOnlyList<SimServer> Servers => _servers;

    /// <summary>Called when any server finishes a request (the request's <see cref="SimRequest.ServerIndex"/> says which).</summary>
    public Action<SimRequest>? RequestFinished { get; set; }

    /// <summary>Earliest pending event over all servers; +∞ when all are idle.</summary>
    public double NextEventMs
    {
        get
        {
            var t = double.PositiveInfinity;
            foreach (var s in _servers)
                t = Math.Min(t, s.NextEventMs);
            return t;
        }
    }

    /// <summary>True when nothing is queued or running anywhere.</summary>
    public bool IsIdle => double.IsPositiveInfinity(NextEventMs);

    /// <summary>Processes every event strictly before <paramref name="timeMs"/> and sets the clock to it, so requests
    /// submitted next arrive at <paramref name="timeMs"/> (and join any step that starts at that same instant).</summary>
    public void AdvanceTo(double timeMs)
    {
        while (true)
        {
            var s = Earliest();
            if (s is null || s.NextEventMs >= timeMs)
                break;
            Clock.NowMs = s.NextEventMs;
            s.ProcessEvent();
        }
        if (timeMs > Clock.NowMs)
            Clock.NowMs = timeMs;
    }

    /// <summary>Processes the single earliest event; false when idle.</summary>
    public bool RunNextEvent()
    {
        var s = Earliest();
        if (s is null)
            return false;
        Clock.NowMs = s.NextEventMs;
        s.ProcessEvent();
        return true;
    }

    /// <summary>Runs until every server is idle (callbacks may keep submitting; this runs until they stop).</summary>
    public void RunUntilIdle()
    {
        while (RunNextEvent())
        {
        }
    }

    private SimServer? Earliest()
    {
        SimServer? best = null;
        foreach (var s in _servers)
        {
            if (!s.IsIdle && (best is null || s.NextEventMs < best.NextEventMs))
                best = s;
        }
        return best;
    }

    private static SimServerOptions[] Repeat(SimServerOptions options, int count)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var a = new SimServerOptions[count];
        Array.Fill(a, options);
        return a;
    }
}
