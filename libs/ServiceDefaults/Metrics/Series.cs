namespace InferenceMesh.ServiceDefaults.Metrics;

/// <summary>The running value of one tag set of one instrument.</summary>
internal sealed class Series(TagSet tags, int bucketCount)
{
    private double _value;
    private double _sum;
    private long _count;
    private long _generation;

    public TagSet Tags { get; } = tags;

    /// <summary>Histogram counts per bucket (not cumulative), the last one being +Inf.</summary>
    public long[] Buckets { get; } = bucketCount == 0 ? [] : new long[bucketCount];

    public double Value => Volatile.Read(ref _value);

    public double Sum => Volatile.Read(ref _sum);

    public long Count => Volatile.Read(ref _count);

    public long Generation => Volatile.Read(ref _generation);

    public void Add(double delta) => AddDouble(ref _value, delta);

    public void Set(double value, long generation)
    {
        Volatile.Write(ref _value, value);
        Volatile.Write(ref _generation, generation);
    }

    public void Observe(double value, int bucket)
    {
        Interlocked.Increment(ref Buckets[bucket]);
        AddDouble(ref _sum, value);
        Interlocked.Increment(ref _count);
    }

    private static void AddDouble(ref double target, double delta)
    {
        var current = Volatile.Read(ref target);
        while (true)
        {
            var seen = Interlocked.CompareExchange(ref target, current + delta, current);
            if (seen.Equals(current))
                return;
            current = seen;
        }
    }
}
