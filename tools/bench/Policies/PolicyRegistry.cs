namespace InferenceMesh.Bench.Policies;

/// <summary>
/// Policy names → factories. Baselines are built in; other assemblies (the InferenceMesh scheduler) add theirs with
/// <see cref="Register"/> before the replay starts.
/// </summary>
public static class PolicyRegistry
{
    private static readonly Dictionary<string, (string Description, Func<PolicyContext, IRoutingPolicy> Factory)> Entries =
        new(StringComparer.Ordinal)
        {
            ["random"] = ("uniform random endpoint (seeded)", c => new RandomPolicy(c.Seed)),
            ["round-robin"] = ("endpoints in turn", _ => new RoundRobinPolicy()),
            ["least-request"] = ("Envoy LEAST_REQUEST default: power of two random choices, fewer outstanding requests from the proxy's own counts", c => new LeastRequestPolicy(c.Seed, choices: 2)),
            ["least-request-scan"] = ("fewest outstanding requests over a full scan, random tie-break", c => new LeastRequestPolicy(c.Seed, choices: 0)),
            [GreedyPerfectInfoPolicy.PolicyName] = ("perfect information, greedy: reads every server's true cache and queue, picks the minimum predicted TTFT per request (virtual mode only; not an upper bound)", c => new GreedyPerfectInfoPolicy(c.Seed)),
        };

    /// <summary>Old names still accepted: old → current.</summary>
    private static readonly Dictionary<string, string> Aliases = new(StringComparer.Ordinal)
    {
        [GreedyPerfectInfoPolicy.DeprecatedName] = GreedyPerfectInfoPolicy.PolicyName,
    };

    private static readonly Lock Gate = new();

    /// <summary>Adds or replaces a policy.</summary>
    public static void Register(string name, string description, Func<PolicyContext, IRoutingPolicy> factory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(factory);
        lock (Gate)
        {
            Entries[name] = (description ?? string.Empty, factory);
        }
    }

    /// <summary>Every registered name with its description, sorted by name.</summary>
    public static IReadOnlyList<(string Name, string Description)> List()
    {
        lock (Gate)
        {
            return [.. Entries.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => (e.Key, e.Value.Description))];
        }
    }

    /// <summary>The current name for <paramref name="name"/>: itself, or what a deprecated alias now stands for (then
    /// <paramref name="deprecated"/> is true).</summary>
    public static string Canonical(string name, out bool deprecated)
    {
        deprecated = Aliases.TryGetValue(name, out var current);
        return deprecated ? current! : name;
    }

    /// <summary>Whether <paramref name="name"/> is registered.</summary>
    public static bool Contains(string name)
    {
        lock (Gate)
        {
            return Entries.ContainsKey(name);
        }
    }

    /// <summary>A fresh policy instance for one run.</summary>
    public static IRoutingPolicy Create(string name, PolicyContext context)
    {
        lock (Gate)
        {
            return Entries.TryGetValue(name, out var e)
                ? e.Factory(context)
                : throw new ArgumentException($"unknown policy '{name}'; known: {string.Join(", ", Entries.Keys.Order(StringComparer.Ordinal))}", nameof(name));
        }
    }
}
