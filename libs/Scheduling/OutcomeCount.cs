using InferenceMesh.Contracts;

namespace InferenceMesh.Scheduling;

/// <summary>How many schedule calls of a band ended with an outcome since start.</summary>
public sealed record OutcomeCount(Criticality Band, ScheduleOutcome Outcome, long Count);
