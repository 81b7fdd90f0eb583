namespace InferenceMesh.ExtProc.Tests;

internal static class PollHelper
{
    /// <summary>Polls <paramref name="condition"/> until true or a generous timeout (the machine is shared).</summary>
    public static async Task UntilAsync(Func<bool> condition, string what, int timeoutSeconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                Assert.Fail("timed out waiting for " + what);
            await Task.Delay(20);
        }
    }
}
