namespace InferenceMesh.Bench.Workloads;

/// <summary>Picks the reader from the file: <c>.csv</c> → Azure, anything else → Mooncake JSONL.</summary>
public static class TraceLoader
{
    /// <summary>Loads a trace; throws <see cref="FileNotFoundException"/> with a clear message when it is missing.</summary>
    public static Workload Load(string path, int maxRequests = 0, bool spread = true)
    {
        if (!File.Exists(path))
        {
            var dir = Path.GetDirectoryName(Path.GetFullPath(path));
            var why = dir is not null && !Directory.Exists(dir)
                ? $"trace not found: {path} (the folder {dir} does not exist — the shared workloads are not on this machine)"
                : $"trace not found: {path}";
            throw new FileNotFoundException(why, path);
        }

        return path.EndsWith(".csv", StringComparison.OrdinalIgnoreCase)
            ? AzureCsvReader.Read(path, maxRequests)
            : MooncakeReader.Read(path, spread, maxRequests);
    }
}
