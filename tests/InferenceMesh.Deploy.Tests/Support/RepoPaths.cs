namespace InferenceMesh.Deploy.Tests.Support;

/// <summary>Locates the repository from the test binaries, so tests read the real files under deploy/k8s.</summary>
internal static class RepoPaths
{
    private static readonly Lazy<string> RootLazy = new(FindRoot);

    public static string Root => RootLazy.Value;

    public static string K8s => Path.Combine(Root, "deploy", "k8s");

    public static string Of(params string[] parts) => Path.Combine([Root, .. parts]);

    /// <summary>Repository-relative path with forward slashes, for messages and path-based rules.</summary>
    public static string Relative(string fullPath) => Path.GetRelativePath(Root, fullPath).Replace('\\', '/');

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "InferenceMesh.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException($"InferenceMesh.sln not found above {AppContext.BaseDirectory}");
    }
}
