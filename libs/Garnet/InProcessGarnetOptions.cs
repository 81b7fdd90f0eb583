using Microsoft.Extensions.Logging;

namespace InferenceMesh.Garnet;

/// <summary>How <see cref="InProcessGarnet"/> starts Garnet: memory sizes in Garnet's own notation (<c>32m</c>), and
/// the few switches the embedded demo and the tests differ in.</summary>
public sealed record InProcessGarnetOptions
{
    /// <summary>Log memory (<c>--memory</c>); the in-memory part of the store.</summary>
    public string Memory { get; init; } = "32m";

    /// <summary>Hash index size (<c>--index</c>).</summary>
    public string Index { get; init; } = "4m";

    /// <summary>Page size (<c>--page</c>).</summary>
    public string Page { get; init; } = "1m";

    /// <summary>Serve pub/sub (off: Garnet has no Streams, so nothing here uses its pub/sub).</summary>
    public bool PubSub { get; init; }

    /// <summary>Count commands for <c>INFO commandstats</c> (<c>--commandstats-monitor</c>; costs a little per command).</summary>
    public bool CommandStats { get; init; }

    /// <summary>Garnet's checkpoint folder, created if missing and left in place; null = a temp folder of its own,
    /// deleted on dispose. Never the working directory.</summary>
    public string? CheckpointDirectory { get; init; }

    /// <summary>Garnet's own log level (its console logger is off either way).</summary>
    public LogLevel LogLevel { get; init; } = LogLevel.Warning;
}
