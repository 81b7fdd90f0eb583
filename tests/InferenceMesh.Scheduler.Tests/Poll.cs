namespace InferenceMesh.Scheduler.Tests;

internal static class Poll
{
    /// <summary>Polls until <paramref name="condition"/> holds, failing after a generous timeout (the machine is shared).</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, int timeoutSeconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException("condition not met in time");
            await Task.Delay(20);
        }
    }
}
