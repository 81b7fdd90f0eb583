using InferenceMesh.Contracts;

namespace InferenceMesh.Scheduling;

/// <summary>One band's queue: requests, bytes and active fairness flows.</summary>
public sealed record BandStatus(Criticality Band, int Requests, long Bytes, int Flows);
