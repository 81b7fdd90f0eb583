namespace InferenceMesh.TestSupport;

/// <summary>Paths in the repository the tests run from (found by walking up to InferenceMesh.sln). </summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary>Build configuration of this test run (Debug/Release), from the output path.</summary>
    public static string Configuration { get; } = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(System.IO.Path.DirectorySeparatorChar)).Parent!.Name;

    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    /// <summary>Repository-relative path with forward slashes, for messages and path-based rules.</summary>
    public static string Relative(string fullPath) => System.IO.Path.GetRelativePath(Root, fullPath).Replace('\\', '/');

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "InferenceMesh.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException("InferenceMesh.sln not found above " + AppContext.BaseDirectory);
    }
}
