namespace InferenceMesh.Scheduling;

/// <summary>Makes a filter, scorer or picker available to scheduling profiles under <see cref="Type"/> (the <c>type</c> of a
/// plugin in the EndpointPickerConfig). The class needs a constructor taking <see cref="PluginParameters"/> or none.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
internal sealed class SchedulingPluginAttribute(string type) : Attribute
{
    public string Type { get; } = type;
}
