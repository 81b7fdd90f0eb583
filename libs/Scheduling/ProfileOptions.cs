using System.ComponentModel.DataAnnotations;

namespace InferenceMesh.Scheduling;

/// <summary>One named scheduling profile: scorer weights and the picker. A profile given in configuration replaces the built-in one of that name.</summary>
public sealed record ProfileOptions
{
    [Range(0, 1000)]
    public double QueueWeight { get; set; }

    [Range(0, 1000)]
    public double KvWeight { get; set; }

    [Range(0, 1000)]
    public double PrefixWeight { get; set; }

    [Range(0, 1000)]
    public double LoraWeight { get; set; }

    [Range(0, 1000)]
    public double InFlightWeight { get; set; }

    public PickerKind Picker { get; set; } = PickerKind.MaxScore;

    /// <summary>Whether the profile needs prefix matches (so the prefix index is asked at all).</summary>
    public bool UsesPrefix => PrefixWeight > 0 || Picker == PickerKind.PredictedTtft;
}
