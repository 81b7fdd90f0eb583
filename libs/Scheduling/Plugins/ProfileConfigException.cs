namespace InferenceMesh.Scheduling;

/// <summary>An invalid EndpointPickerConfig; <see cref="Path"/> names the key (e.g. <c>schedulingProfiles[1].plugins[0].pluginRef</c>).</summary>
public sealed class ProfileConfigException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ProfileConfigException(string path, string message)
        : base($"{path}: {message}") => Path = path;

    /// <summary>Creates the exception with its cause.</summary>
    public ProfileConfigException(string path, string message, Exception inner)
        : base($"{path}: {message}", inner) => Path = path;

    /// <summary>Not used; the path is required.</summary>
    public ProfileConfigException()
        : this("?", "invalid configuration")
    {
    }

    /// <summary>Not used; the path is required.</summary>
    public ProfileConfigException(string message)
        : this("?", message)
    {
    }

    /// <summary>Not used; the path is required.</summary>
    public ProfileConfigException(string message, Exception inner)
        : this("?", message, inner)
    {
    }

    /// <summary>The configuration key at fault.</summary>
    public string Path { get; }
}
