namespace InferenceMesh.Scheduling;

/// <summary>The scheduler's profiles in the shape of the Inference Extension's EndpointPickerConfig
/// (<c>config.apix.gateway-api-inference-extension.sigs.k8s.io/v1alpha1</c>): plugins with parameters, and scheduling
/// profiles that reference them by name with a weight for scorers. Only these two sections are read.</summary>
internal sealed class EndpointPickerConfig
{
    public const string KindName = "EndpointPickerConfig";

    public string? ApiVersion { get; set; }
    public string? Kind { get; set; }
    public List<PluginSpec>? Plugins { get; set; }
    public List<SchedulingProfileSpec>? SchedulingProfiles { get; set; }
}
