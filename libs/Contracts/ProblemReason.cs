namespace InferenceMesh.Contracts;

/// <summary>Error body of the invocation APIs: a status and a reason a human can act on.</summary>
public sealed record ProblemReason(int Status, string Reason);
