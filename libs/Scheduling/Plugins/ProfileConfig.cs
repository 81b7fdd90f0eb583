using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace InferenceMesh.Scheduling;

/// <summary>Builds scheduling profiles from EndpointPickerConfig YAML: the built-in profiles (the embedded
/// <c>builtin-profiles.yaml</c>), then <c>Scheduler:ConfigText</c>, then <c>Scheduler:ConfigFile</c>; a profile of the same
/// name replaces the earlier one. Plugin names are local to their document.</summary>
internal static class ProfileConfig
{
    private const string BuiltInResource = "InferenceMesh.Scheduling.builtin-profiles.yaml";

    private static readonly IDeserializer Yaml = new DeserializerBuilder()
        .WithNamingConvention(CamelCaseNamingConvention.Instance)
        .Build();

    /// <summary>The built-in profiles' YAML (DEFAULT, PREFIX_CACHE, PREDICTED_TTFT, PREFILL_WORK).</summary>
    public static string BuiltInYaml { get; } = ReadBuiltIn();

    /// <summary>Every profile of <paramref name="options"/>; throws <see cref="ProfileConfigException"/> whose path starts with
    /// the option that holds the fault (<c>ConfigText</c> or <c>ConfigFile</c>).</summary>
    public static Dictionary<string, SchedulingProfile> Load(SchedulerOptions options)
    {
        var profiles = new Dictionary<string, SchedulingProfile>(StringComparer.Ordinal);
        AddFrom(BuiltInYaml, "builtin-profiles.yaml", profiles);
        if (!string.IsNullOrWhiteSpace(options.ConfigText))
            AddFrom(options.ConfigText, nameof(SchedulerOptions.ConfigText), profiles);
        if (!string.IsNullOrWhiteSpace(options.ConfigFile))
        {
            string text;
            try
            {
                text = File.ReadAllText(options.ConfigFile);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                throw new ProfileConfigException(nameof(SchedulerOptions.ConfigFile), $"cannot read '{options.ConfigFile}': {ex.Message}", ex);
            }
            AddFrom(text, nameof(SchedulerOptions.ConfigFile), profiles);
        }
        return profiles;
    }

    /// <summary>Parses one document and adds its profiles.</summary>
    public static void AddFrom(string yaml, string source, Dictionary<string, SchedulingProfile> into)
    {
        EndpointPickerConfig config;
        try
        {
            config = Yaml.Deserialize<EndpointPickerConfig>(yaml) ?? new EndpointPickerConfig();
        }
        catch (YamlException ex)
        {
            throw new ProfileConfigException(source, $"invalid EndpointPickerConfig at line {ex.Start.Line}, column {ex.Start.Column}: {(ex.InnerException ?? ex).Message}", ex);
        }
        if (config.Kind is { } kind && kind != EndpointPickerConfig.KindName)
            throw new ProfileConfigException($"{source}: kind", $"'{kind}' is not {EndpointPickerConfig.KindName}");
        var plugins = CreatePlugins(config.Plugins, source);
        if (config.SchedulingProfiles is not { Count: > 0 } specs)
            throw new ProfileConfigException($"{source}: schedulingProfiles", "at least one profile is required");
        for (var i = 0; i < specs.Count; i++)
        {
            var profile = Assemble(specs[i], $"{source}: schedulingProfiles[{i}]", plugins);
            into[profile.Name] = profile;
        }
    }

    private static Dictionary<string, object> CreatePlugins(List<PluginSpec>? specs, string source)
    {
        var plugins = new Dictionary<string, object>(StringComparer.Ordinal);
        for (var i = 0; i < (specs?.Count ?? 0); i++)
        {
            var spec = specs![i];
            var path = $"{source}: plugins[{i}]";
            if (string.IsNullOrWhiteSpace(spec?.Type))
                throw new ProfileConfigException($"{path}.type", "is required");
            var name = string.IsNullOrWhiteSpace(spec.Name) ? spec.Type : spec.Name;
            if (plugins.ContainsKey(name))
                throw new ProfileConfigException($"{path}.name", $"plugin name '{name}' is used twice (give one a name:)");
            plugins[name] = PluginCatalog.Create(spec.Type, $"{path}.type", new PluginParameters($"{path}.parameters", spec.Parameters));
        }
        return plugins;
    }

    private static SchedulingProfile Assemble(SchedulingProfileSpec spec, string path, Dictionary<string, object> plugins)
    {
        if (string.IsNullOrWhiteSpace(spec?.Name))
            throw new ProfileConfigException($"{path}.name", "is required");
        path = $"{path} ({spec.Name})";
        var filters = new List<IEndpointFilter>();
        var scorers = new List<IEndpointScorer>();
        var weights = new List<double>();
        IEndpointSelector? selector = null;
        var refs = spec.Plugins ?? [];
        for (var i = 0; i < refs.Count; i++)
        {
            var r = refs[i];
            var at = $"{path}.plugins[{i}]";
            if (string.IsNullOrWhiteSpace(r?.PluginRef))
                throw new ProfileConfigException($"{at}.pluginRef", "is required");
            if (!plugins.TryGetValue(r.PluginRef, out var plugin))
                throw new ProfileConfigException($"{at}.pluginRef", $"'{r.PluginRef}' names no plugin under plugins");
            if (r.Weight is { } w && (plugin is not IEndpointScorer || !double.IsFinite(w) || w < 0 || w > 1000))
                throw new ProfileConfigException($"{at}.weight", plugin is IEndpointScorer ? "must be in [0, 1000]" : "only scorers take a weight");
            switch (plugin)
            {
                case IEndpointFilter filter:
                    filters.Add(filter);
                    break;
                case IEndpointScorer scorer when (r.Weight ?? 1) > 0:
                    scorers.Add(scorer);
                    weights.Add(r.Weight ?? 1);
                    break;
                case IEndpointScorer:
                    break; // Weight 0: listed but off.
                case IEndpointSelector s when selector is null:
                    selector = s;
                    break;
                default:
                    throw new ProfileConfigException($"{at}.pluginRef", "a profile takes one picker");
            }
        }
        if (scorers.Count == 0 && selector is not RandomPicker)
            throw new ProfileConfigException($"{path}.plugins", "needs a scorer with a positive weight (or random-picker)");
        return new SchedulingProfile(spec.Name, [.. filters], [.. scorers], [.. weights], selector ?? new MaxScorePicker());
    }

    private static string ReadBuiltIn()
    {
        using var stream = typeof(ProfileConfig).Assembly.GetManifestResourceStream(BuiltInResource)
            ?? throw new InvalidOperationException($"embedded resource {BuiltInResource} is missing");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
