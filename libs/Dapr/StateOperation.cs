namespace InferenceMesh.Dapr;

/// <summary>One operation of a state transaction: an upsert or a delete.</summary>
public sealed record StateOperation
{
    private StateOperation(bool isDelete, StateSaveItem? upsert, string key, StateWriteOptions? options)
    {
        IsDelete = isDelete;
        UpsertItem = upsert;
        Key = key;
        Options = options;
    }

    /// <summary>True for a delete, false for an upsert.</summary>
    public bool IsDelete { get; }

    /// <summary>The item to write (upserts only).</summary>
    public StateSaveItem? UpsertItem { get; }

    /// <summary>The key the operation touches.</summary>
    public string Key { get; }

    /// <summary>Write options (ETag for deletes; upserts carry theirs in <see cref="UpsertItem"/>).</summary>
    public StateWriteOptions? Options { get; }

    /// <summary>An upsert of <paramref name="item"/>.</summary>
    public static StateOperation Upsert(StateSaveItem item)
    {
        ArgumentNullException.ThrowIfNull(item);
        return new(false, item, item.Key, item.Options);
    }

    /// <summary>A delete of <paramref name="key"/>, only if its ETag still matches when <paramref name="etag"/> is given.</summary>
    public static StateOperation Delete(string key, string? etag = null) =>
        new(true, null, key, etag is null ? null : new StateWriteOptions(ETag: etag));
}
