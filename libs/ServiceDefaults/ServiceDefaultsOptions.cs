using System.ComponentModel.DataAnnotations;

namespace InferenceMesh.ServiceDefaults;

/// <summary>Settings every service shares; section <c>Service</c>.</summary>
public sealed record ServiceDefaultsOptions
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "Service";

    /// <summary>How long shutdown waits for in-flight work (requests, background loops) before stopping hard.</summary>
    [Range(1, 600)]
    public int ShutdownTimeoutSeconds { get; set; } = 20;
}
