namespace InferenceMesh.ServiceDefaults.Metrics;

/// <summary>The tags of one series, kept as recorded (values unformatted) so lookups need not allocate.</summary>
internal sealed class TagSet
{
    public TagSet(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        Tags = tags.ToArray();
        Array.Sort(Tags, static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        Hash = TagSetComparer.HashOf(tags);
    }

    public KeyValuePair<string, object?>[] Tags { get; }

    public int Hash { get; }
}
