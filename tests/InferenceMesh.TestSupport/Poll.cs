namespace InferenceMesh.TestSupport;

/// <summary>Poll-with-timeout for tests: the machine is shared and loaded, so deadlines are generous, nothing sleeps a
/// fixed time and nothing asserts on elapsed time.</summary>
public static class Poll
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(20);

    /// <summary>Waits until <paramref name="condition"/> holds; an exception from the condition fails at once.</summary>
    public static Task UntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        UntilAsync(() => Task.FromResult(condition()), what, timeout);

    /// <summary>The same, for an asynchronous condition.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var limit = timeout ?? DefaultTimeout;
        var deadline = DateTime.UtcNow + limit;
        while (!await condition().ConfigureAwait(false))
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Timed out after {limit.TotalSeconds:0} s waiting for {what}");
            await Task.Delay(Interval).ConfigureAwait(false);
        }
    }

    /// <summary>Waits until <paramref name="condition"/> holds, treating its exceptions as "not yet" (refused connections and
    /// early error answers of a half-started server) — except <see cref="ServiceExitedException"/>: a process that died is
    /// final. The last error is reported on timeout.</summary>
    public static async Task UntilSucceedsAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var limit = timeout ?? DefaultTimeout;
        var deadline = DateTime.UtcNow + limit;
        Exception? last = null;
        while (true)
        {
            try
            {
                if (await condition().ConfigureAwait(false))
                    return;
            }
            catch (Exception e) when (e is not ServiceExitedException)
            {
                last = e;
            }
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Timed out after {limit.TotalSeconds:0} s waiting for {what}" + (last is null ? "" : $" (last error: {last.GetType().Name}: {last.Message})"), last);
            await Task.Delay(Interval).ConfigureAwait(false);
        }
    }
}
