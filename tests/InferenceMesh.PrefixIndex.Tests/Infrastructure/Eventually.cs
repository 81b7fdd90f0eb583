namespace InferenceMesh.PrefixIndex.Tests.Infrastructure;

/// <summary>Poll-with-timeout: the machine is loaded, so deadlines are generous and nothing sleeps a fixed time.</summary>
public static class Eventually
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    public static async Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        Exception? last = null;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if (await condition())
                    return;
            }
            catch (Exception ex)
            {
                last = ex;
            }
            await Task.Delay(25);
        }
        throw new TimeoutException($"Timed out waiting until {what}. Last error: {last?.Message ?? "none"}", last);
    }
}
