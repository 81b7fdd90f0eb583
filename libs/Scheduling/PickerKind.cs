namespace InferenceMesh.Scheduling;

/// <summary>How a profile turns endpoint state into a choice.</summary>
public enum PickerKind
{
    /// <summary>Σ weight × clamp(score, 0, 1), highest wins, seeded random tie-break (the reference picker's shape).</summary>
    MaxScore = 0,

    /// <summary>Lowest predicted time to first token: queue wait + prefill of the uncached part, load-gated prefix credit.</summary>
    PredictedTtft = 1,
}
