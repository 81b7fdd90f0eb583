namespace InferenceMesh.Scheduling;

/// <summary>The chosen endpoint's per-scorer scores (unweighted, 0..1) and the picker's total or predicted TTFT.</summary>
public readonly record struct ScoreBreakdown(double Queue, double Kv, double Prefix, double Lora, double InFlight, double Total, double PredictedTtftMs);
