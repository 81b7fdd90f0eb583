namespace InferenceMesh.EndToEnd.Tests.Support;

/// <summary>Poll-with-timeout: the machine is loaded, so waits are generous and never assert on elapsed time.</summary>
internal static class Poll
{
    public static async Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        Exception? last = null;
        while (true)
        {
            try
            {
                if (await condition())
                    return;
            }
            // Anything a half-started ensemble can throw (refused connections, early error bodies, a reply without the
            // expected fields) means "not yet"; only a process that died is final.
            catch (Exception e) when (e is not ServiceExitedException)
            {
                last = e;
            }
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Timed out after {timeout.TotalSeconds:0} s waiting for {what}" + (last is null ? "" : $" (last error: {last.GetType().Name}: {last.Message})"), last);
            await Task.Delay(100);
        }
    }
}
