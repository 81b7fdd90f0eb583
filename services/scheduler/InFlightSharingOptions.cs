namespace InferenceMesh.Scheduler;

/// <summary>Configuration section <c>InFlightSharing</c>: whether this replica announces its dispatches on the fan-out topic
/// (<c>scheduler-dispatches</c>) so the other scheduler replicas count them as load until a snapshot shows it.</summary>
public sealed record InFlightSharingOptions
{
    /// <summary>The configuration section name.</summary>
    public const string Section = "InFlightSharing";

    /// <summary>Publish dispatches for the other replicas (true, default) or count only this replica's own (false).
    /// Received dispatches are counted either way.</summary>
    public bool Enabled { get; set; } = true;
}
