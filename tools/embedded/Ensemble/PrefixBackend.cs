namespace InferenceMesh.Embedded.Ensemble;

/// <summary>Where the embedded prefix-index keeps its index (<c>--prefix-backend</c>).</summary>
internal static class PrefixBackend
{
    /// <summary>The production redis backend (StackExchange.Redis, Lua, EVALSHA) against a Garnet server hosted in this
    /// process on a loopback port: the default, so the demo runs the same index code as a cluster.</summary>
    public const string Garnet = "garnet";

    /// <summary>The in-process index, no store at all.</summary>
    public const string Memory = "memory";

    public static IReadOnlyList<string> All { get; } = [Garnet, Memory];
}
