using System.ComponentModel.DataAnnotations;

namespace InferenceMesh.Kubernetes;

/// <summary>Which discovery a service runs; bound from the <c>Discovery</c> section by ext-proc and the scheduler
/// (the collector maps its <c>Collector:Discovery*</c> keys onto it).</summary>
public sealed record DiscoveryOptions
{
    /// <summary>Configuration section name used by ext-proc and the scheduler.</summary>
    public const string Section = "Discovery";

    /// <summary>Discovery source; <see cref="DiscoveryMode.None"/> keeps the service on its own configuration.</summary>
    public DiscoveryMode Mode { get; init; } = DiscoveryMode.None;

    /// <summary>The local pool file (file mode); relative paths are resolved against the content root.</summary>
    public string? PoolFile { get; init; }

    /// <summary>How often the pool file is re-checked when the file watcher stays silent.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan PoolFilePollInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Only this InferencePool; empty = every pool found.</summary>
    public string? Pool { get; init; }

    /// <summary>Kubernetes namespace override; empty = the pod's own namespace.</summary>
    public string? Namespace { get; init; }

    /// <summary>Kubernetes mode: how long readiness waits for the first list of InferencePools and InferenceModels before
    /// the service reports ready anyway (with a warning), e.g. when the list keeps failing. Zero (the default, as the
    /// reference picker) = not ready until the list arrives.</summary>
    public TimeSpan ReadyTimeout { get; init; } = TimeSpan.Zero;
}
