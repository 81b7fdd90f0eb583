namespace InferenceMesh.Embedded.Replay;

/// <summary>What the client saw of one request (wall ms; the report multiplies by the time scale).</summary>
internal sealed record RequestRecord(
    int Index,
    bool Streamed,
    int Status,
    double StartMs,
    double TtftMs,
    double E2eMs,
    int OutputTokens,
    string? ServedBy,
    string? Error);
