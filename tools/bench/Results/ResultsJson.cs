using System.Text.Json;
using System.Text.Json.Serialization;

namespace InferenceMesh.Bench.Results;

/// <summary>Reads and writes result files.</summary>
public static class ResultsJson
{
    /// <summary>Serialises with stable snake_case names, indented.</summary>
    public static string Serialize(BenchResults results) => JsonSerializer.Serialize(results, ResultsJsonContext.Default.BenchResults);

    /// <summary>Parses a result file's text.</summary>
    public static BenchResults Deserialize(string json) =>
        JsonSerializer.Deserialize(json, ResultsJsonContext.Default.BenchResults) ?? throw new JsonException("empty results file");

    /// <summary>Writes to a file, creating its folder.</summary>
    public static void Write(string path, BenchResults results)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null)
        {
            Directory.CreateDirectory(dir);
        }

        File.WriteAllText(path, Serialize(results));
    }
}

[JsonSourceGenerationOptions(WriteIndented = true, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(BenchResults))]
[JsonSerializable(typeof(Ceiling.CeilingResult))]
[JsonSerializable(typeof(List<Ceiling.CeilingResult>))]
internal sealed partial class ResultsJsonContext : JsonSerializerContext;
