namespace InferenceMesh.Sim.Tests.Sim;

/// <summary>A wall clock the test moves by hand (timestamps in ticks of 100 ns).</summary>
internal sealed class ManualTimeProvider : TimeProvider
{
    private long _ticks;
    private readonly DateTimeOffset _origin = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => Interlocked.Read(ref _ticks);

    public override DateTimeOffset GetUtcNow() => _origin.AddTicks(Interlocked.Read(ref _ticks));

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
}
