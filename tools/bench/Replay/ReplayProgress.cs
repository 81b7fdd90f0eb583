namespace InferenceMesh.Bench.Replay;

/// <summary>Progress of one policy's replay.</summary>
public readonly record struct ReplayProgress(string Policy, int Done, int Total, double SimulatedMs);
