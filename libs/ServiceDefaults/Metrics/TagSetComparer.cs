namespace InferenceMesh.ServiceDefaults.Metrics;

/// <summary>Order-insensitive tag-set equality, with an allocation-free alternate lookup by the measurement's tag span.</summary>
internal sealed class TagSetComparer : IEqualityComparer<TagSet>, IAlternateEqualityComparer<TagSpan, TagSet>
{
    public static readonly TagSetComparer Instance = new();

    public static int HashOf(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        // Commutative so the caller's tag order does not create a second series.
        var hash = tags.Length;
        foreach (var tag in tags)
            hash += HashCode.Combine(tag.Key, tag.Value);
        return hash;
    }

    public bool Equals(TagSet? x, TagSet? y) =>
        ReferenceEquals(x, y) || (x is not null && y is not null && x.Hash == y.Hash && SameTags(x.Tags, y));

    public int GetHashCode(TagSet obj) => obj.Hash;

    public bool Equals(TagSpan alternate, TagSet other) => SameTags(alternate.Tags, other);

    public int GetHashCode(TagSpan alternate) => HashOf(alternate.Tags);

    public TagSet Create(TagSpan alternate) => new(alternate.Tags);

    private static bool SameTags(ReadOnlySpan<KeyValuePair<string, object?>> tags, TagSet set)
    {
        if (tags.Length != set.Tags.Length)
            return false;
        foreach (var tag in tags)
        {
            var found = false;
            foreach (var existing in set.Tags)
            {
                if (string.Equals(existing.Key, tag.Key, StringComparison.Ordinal))
                {
                    found = Equals(existing.Value, tag.Value);
                    break;
                }
            }
            if (!found)
                return false;
        }
        return true;
    }
}
