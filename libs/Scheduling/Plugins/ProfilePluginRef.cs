namespace InferenceMesh.Scheduling;

/// <summary>A profile's use of a plugin: the plugin's name and, for a scorer, its weight (default 1).</summary>
internal sealed class ProfilePluginRef
{
    public string? PluginRef { get; set; }
    public double? Weight { get; set; }
}
