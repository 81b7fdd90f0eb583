namespace InferenceMesh.Scheduling;

/// <summary>A named profile: the plugins it uses, by reference.</summary>
internal sealed class SchedulingProfileSpec
{
    public string? Name { get; set; }
    public List<ProfilePluginRef>? Plugins { get; set; }
}
