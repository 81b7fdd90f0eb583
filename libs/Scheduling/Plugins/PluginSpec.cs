namespace InferenceMesh.Scheduling;

/// <summary>One plugin instance: its <see cref="Type"/> (a registered plugin type), the <see cref="Name"/> profiles use to
/// reference it (default: the type) and its parameters.</summary>
internal sealed class PluginSpec
{
    public string? Name { get; set; }
    public string? Type { get; set; }
    public Dictionary<string, string>? Parameters { get; set; }
}
