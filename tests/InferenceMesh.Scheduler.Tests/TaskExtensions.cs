namespace InferenceMesh.Scheduler.Tests;

internal static class TaskExtensions
{
    /// <summary>Generous real-time guard so a broken test fails instead of hanging; never a timing assertion.</summary>
    public static Task<T> Within<T>(this Task<T> task) => task.WaitAsync(TimeSpan.FromSeconds(30));
}
