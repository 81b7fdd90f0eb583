using System.Globalization;

namespace InferenceMesh.Scheduling;

/// <summary>A plugin's <c>parameters</c> (scalars by name). Reading one marks it used; a parameter no plugin reads is an error
/// at start, so a misspelt key cannot be silently ignored.</summary>
internal sealed class PluginParameters(string path, IReadOnlyDictionary<string, string>? values)
{
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    /// <summary>Where the parameters are in the configuration (e.g. <c>plugins[3].parameters</c>), for messages.</summary>
    public string Path { get; } = path;

    /// <summary>A number in [<paramref name="min"/>, <paramref name="max"/>], or <paramref name="fallback"/> when absent.</summary>
    public double Double(string name, double fallback, double min, double max)
    {
        _used.Add(name);
        if (values is null || !values.TryGetValue(name, out var text))
            return fallback;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
            throw new ProfileConfigException($"{Path}.{name}", $"'{text}' is not a number in [{min.ToString(CultureInfo.InvariantCulture)}, {max.ToString(CultureInfo.InvariantCulture)}]");
        return value;
    }

    /// <summary>Throws naming the first parameter nothing read.</summary>
    public void EnsureAllUsed()
    {
        if (values is null)
            return;
        foreach (var name in values.Keys)
        {
            if (!_used.Contains(name))
                throw new ProfileConfigException($"{Path}.{name}", "is not a parameter of this plugin type");
        }
    }
}
