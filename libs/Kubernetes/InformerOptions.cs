namespace InferenceMesh.Kubernetes;

/// <summary>Timing of a list/watch loop.</summary>
/// <param name="WatchTimeout">Server-side timeout of one watch request; the loop re-watches from the last resourceVersion.</param>
/// <param name="InitialBackoff">First delay after an error.</param>
/// <param name="MaxBackoff">Cap of the doubling delay.</param>
public sealed record InformerOptions(TimeSpan WatchTimeout, TimeSpan InitialBackoff, TimeSpan MaxBackoff)
{
    /// <summary>5-minute watches, 200 ms → 30 s backoff.</summary>
    public static InformerOptions Default { get; } = new(TimeSpan.FromMinutes(5), TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(30));
}
