using System.Collections.Frozen;
using System.Reflection;

namespace InferenceMesh.Scheduling;

/// <summary>The plugin types: every class of this assembly marked <see cref="SchedulingPluginAttribute"/>, found once.
/// Adding a scorer is one new file with the attribute.</summary>
internal static class PluginCatalog
{
    private static readonly FrozenDictionary<string, Type> Types = Discover();

    /// <summary>The registered type names, sorted (for messages and docs).</summary>
    public static IReadOnlyList<string> TypeNames { get; } = [.. Types.Keys.Order(StringComparer.Ordinal)];

    /// <summary>A new instance of plugin type <paramref name="type"/>; throws naming <paramref name="path"/> when the type is
    /// unknown or a parameter is wrong.</summary>
    public static object Create(string type, string path, PluginParameters parameters)
    {
        if (!Types.TryGetValue(type, out var clr))
            throw new ProfileConfigException(path, $"unknown plugin type '{type}'; known: {string.Join(", ", TypeNames)}");
        object plugin;
        try
        {
            plugin = clr.GetConstructor([typeof(PluginParameters)]) is { } withParameters
                ? withParameters.Invoke([parameters])
                : Activator.CreateInstance(clr)!;
        }
        catch (TargetInvocationException ex) when (ex.InnerException is ProfileConfigException inner)
        {
            throw inner;
        }
        parameters.EnsureAllUsed();
        return plugin;
    }

    private static FrozenDictionary<string, Type> Discover()
    {
        var found = new Dictionary<string, Type>(StringComparer.Ordinal);
        foreach (var type in typeof(PluginCatalog).Assembly.GetTypes())
        {
            if (type.GetCustomAttribute<SchedulingPluginAttribute>() is not { } attribute)
                continue;
            if (type is not { IsClass: true, IsAbstract: false } || !(typeof(IEndpointFilter).IsAssignableFrom(type)
                || typeof(IEndpointScorer).IsAssignableFrom(type) || typeof(IEndpointSelector).IsAssignableFrom(type)))
                throw new InvalidOperationException($"{type.Name} is marked as plugin '{attribute.Type}' but is no filter, scorer or picker");
            if (!found.TryAdd(attribute.Type, type))
                throw new InvalidOperationException($"plugin type '{attribute.Type}' is registered twice ({found[attribute.Type].Name}, {type.Name})");
        }
        return found.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
