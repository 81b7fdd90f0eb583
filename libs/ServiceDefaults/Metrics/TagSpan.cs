namespace InferenceMesh.ServiceDefaults.Metrics;

/// <summary>The tags of a measurement as the listener hands them over; the alternate key of series lookups.</summary>
internal readonly ref struct TagSpan(ReadOnlySpan<KeyValuePair<string, object?>> tags)
{
    public ReadOnlySpan<KeyValuePair<string, object?>> Tags { get; } = tags;
}
