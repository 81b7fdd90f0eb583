namespace InferenceMesh.ExtProc;

/// <summary>The reference picker's command-line flags, mapped onto our configuration keys so a Deployment written for it
/// keeps working (<c>--pool-name qwen</c> or <c>--pool-name=qwen</c>). Values are required (<c>--secure-serving=false</c>);
/// flags with no counterpart here are listed in docs/conformance.md.</summary>
public static class ReferenceFlags
{
    /// <summary>Flag → configuration key.</summary>
    public static readonly IReadOnlyDictionary<string, string> Map = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["--pool-name"] = "ExtProc:Pool",
        ["--pool-namespace"] = "Discovery:Namespace",
        // Accepted for compatibility: both API groups (v1 and v1alpha2) are always read.
        ["--pool-group"] = "Discovery:PoolGroup",
        ["--grpc-port"] = "ExtProc:GrpcPort",
        ["--grpc-health-port"] = "ExtProc:HealthPort",
        ["--metrics-port"] = "ExtProc:MetricsPort",
        ["--secure-serving"] = "ExtProc:SecureServing",
        ["--cert-path"] = "ExtProc:CertPath",
        // The reference's plugin configuration has no counterpart; the file is taken as one more JSON settings file.
        ["--config-file"] = "ExtProc:ConfigFile",
    };

    /// <summary>Adds the process's command line with the reference flags mapped (after the default sources, so flags win);
    /// <c>--pool-name</c> also scopes discovery to that pool, and <c>--config-file</c> is loaded as JSON settings.</summary>
    public static void AddReferenceFlags(this IConfigurationBuilder configuration, string[] args)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(args);
        if (!HasAny(args))
            return;
        var mapped = new ConfigurationBuilder().AddCommandLine(args, Map.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal)).Build();
        var extra = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (_, key) in Map)
        {
            if (mapped[key] is { } value)
                extra[key] = value;
        }
        if (mapped["ExtProc:Pool"] is { } pool)
            extra["Discovery:Pool"] = pool;
        if (mapped["ExtProc:ConfigFile"] is { Length: > 0 } file)
            configuration.AddJsonFile(Path.GetFullPath(file), optional: false, reloadOnChange: false);
        configuration.AddInMemoryCollection(extra);
    }

    private static bool HasAny(string[] args)
    {
        foreach (var arg in args)
        {
            var name = arg.Split('=', 2)[0];
            if (Map.ContainsKey(name))
                return true;
        }
        return false;
    }
}
