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

    /// <summary>Our meters this host exports: those whose name starts with this. Matters only when several hosts share a
    /// process (the embedded ensemble, probes, tests): the listener sees every meter of the process, so each host can
    /// keep to its own.</summary>
    [Required(AllowEmptyStrings = false)]
    public string MeterPrefix { get; set; } = DefaultMeterPrefix;

    /// <summary>Default of <see cref="MeterPrefix"/>: every InferenceMesh meter.</summary>
    public const string DefaultMeterPrefix = "InferenceMesh";
}
