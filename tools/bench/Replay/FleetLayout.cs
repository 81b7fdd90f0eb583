using System.Globalization;
using System.Text;
using InferenceMesh.VllmSim;

namespace InferenceMesh.Bench.Replay;

/// <summary>One server of a fleet: its hardware profile and, for a noisy neighbour, its slowdown.</summary>
/// <param name="Profile">Performance and capacity profile.</param>
/// <param name="Speed">Fraction of the profile's speed (1 = full speed).</param>
/// <param name="StallEveryMs">Period of stalls, simulated ms (0 = none).</param>
/// <param name="StallMs">Length of each stall, ms.</param>
public sealed record ServerSlot(SimProfile Profile, double Speed = 1.0, double StallEveryMs = 0, double StallMs = 0)
{
    /// <summary>Whether the server runs below its profile's speed.</summary>
    public bool IsSlowed => Speed < 1.0 || StallMs > 0;
}

/// <summary>
/// The servers of a simulated fleet, in index order: uniform (<c>--profile p --servers n</c>) or mixed
/// (<c>--fleet a10:4,l20:2,h100:2</c>), with optional slow servers (<c>--slow 7:0.25</c>) and periodic stalls
/// (<c>--stall 7:2000:500</c>).
/// </summary>
public sealed class FleetLayout
{
    private FleetLayout(IReadOnlyList<ServerSlot> servers, string spec)
    {
        Servers = servers;
        Spec = spec;
    }

    /// <summary>The servers by index.</summary>
    public IReadOnlyList<ServerSlot> Servers { get; }

    /// <summary>The profile spec as given (<c>l20</c> or <c>a10:4,l20:2</c>), without slowdowns.</summary>
    public string Spec { get; }

    /// <summary>Whether the servers differ in profile.</summary>
    public bool IsMixed => Servers.Any(s => s.Profile.Name != Servers[0].Profile.Name);

    /// <summary>Largest KV capacity of one server, blocks.</summary>
    public int MaxKvBlocks => Servers.Max(s => s.Profile.NumGpuBlocks);

    /// <summary><paramref name="count"/> servers of one profile.</summary>
    public static FleetLayout Uniform(SimProfile profile, int count)
    {
        ArgumentNullException.ThrowIfNull(profile);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        return new FleetLayout([.. Enumerable.Repeat(new ServerSlot(profile), count)], profile.Name);
    }

    /// <summary>Parses <c>a10:4,l20:2,h100:2</c> (profile:count, in that index order); <paramref name="maxModelLen"/> &gt; 0
    /// overrides every profile's max_model_len.</summary>
    /// <exception cref="FormatException">The spec is malformed or names an unknown profile (the message says which part).</exception>
    public static FleetLayout Parse(string spec, int maxModelLen = 0)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var servers = new List<ServerSlot>();
        foreach (var part in spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var colon = part.IndexOf(':', StringComparison.Ordinal);
            var name = colon < 0 ? part : part[..colon];
            var count = 1;
            if (colon >= 0 && (!int.TryParse(part.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out count) || count < 1))
                throw new FormatException($"'{part}' is not profile:count with count >= 1");
            SimProfile profile;
            try
            {
                profile = SimFleetFactory.Profile(name, maxModelLen);
            }
            catch (ArgumentException e)
            {
                throw new FormatException(e.Message);
            }
            for (var i = 0; i < count; i++)
                servers.Add(new ServerSlot(profile));
        }
        if (servers.Count == 0)
            throw new FormatException("the fleet is empty (e.g. a10:4,l20:2,h100:2)");
        return new FleetLayout(servers, spec.Replace(" ", string.Empty, StringComparison.Ordinal));
    }

    /// <summary>Applies <c>index:speed[,index:speed]</c>: those servers run at that fraction of their profile's speed.</summary>
    /// <exception cref="FormatException">Malformed, index out of range, or speed outside (0, 1].</exception>
    public FleetLayout WithSlow(string? spec) => Apply(spec, 1, "index:speed with speed in (0, 1], e.g. 7:0.25", (slot, v) =>
        v[0] is > 0 and <= 1 ? slot with { Speed = v[0] } : null);

    /// <summary>Applies <c>index:everyMs:stallMs[,…]</c>: those servers stop for stallMs every everyMs of simulated time.</summary>
    /// <exception cref="FormatException">Malformed, index out of range, or not 0 &lt; stallMs &lt; everyMs.</exception>
    public FleetLayout WithStalls(string? spec) => Apply(spec, 2, "index:everyMs:stallMs with 0 < stallMs < everyMs, e.g. 7:2000:500", (slot, v) =>
        v[1] > 0 && v[1] < v[0] ? slot with { StallEveryMs = v[0], StallMs = v[1] } : null);

    /// <summary>Human-readable description for reports: the spec plus any slowed servers.</summary>
    public string Describe()
    {
        var sb = new StringBuilder(Spec);
        for (var i = 0; i < Servers.Count; i++)
        {
            var s = Servers[i];
            if (s.Speed < 1.0)
                sb.Append(CultureInfo.InvariantCulture, $"; server {i} at {s.Speed:0.##}x speed");
            if (s.StallMs > 0)
                sb.Append(CultureInfo.InvariantCulture, $"; server {i} stalls {s.StallMs:0.#} ms every {s.StallEveryMs:0.#} ms");
        }
        return sb.ToString();
    }

    /// <summary>Simulator options of server <paramref name="index"/>.</summary>
    public SimServerOptions ServerOptions(int index, FleetSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var s = Servers[index];
        return new SimServerOptions
        {
            ModelName = spec.Model,
            Profile = s.Profile,
            LoraModules = [.. (spec.Adapters ?? []).Select(a => new LoraModule(a, "/adapters/" + a))],
            MaxLoras = Math.Max(1, spec.MaxLoras),
            Speed = s.Speed,
            StallEveryMs = s.StallEveryMs,
            StallMs = s.StallMs,
        };
    }

    private FleetLayout Apply(string? spec, int values, string expected, Func<ServerSlot, double[], ServerSlot?> change)
    {
        if (string.IsNullOrWhiteSpace(spec))
            return this;
        var servers = Servers.ToArray();
        foreach (var part in spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var fields = part.Split(':');
            if (fields.Length != values + 1
                || !int.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out var index)
                || index >= servers.Length)
                throw new FormatException($"'{part}': expected {expected} (server index 0..{servers.Length - 1})");
            var v = new double[values];
            for (var k = 0; k < values; k++)
            {
                if (!double.TryParse(fields[k + 1], NumberStyles.Float, CultureInfo.InvariantCulture, out v[k]))
                    throw new FormatException($"'{part}': expected {expected}");
            }
            servers[index] = change(servers[index], v) ?? throw new FormatException($"'{part}': expected {expected}");
        }
        return new FleetLayout(servers, Spec);
    }
}
