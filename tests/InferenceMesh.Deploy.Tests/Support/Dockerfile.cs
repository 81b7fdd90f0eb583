using System.Globalization;
using System.Text.Json;

namespace InferenceMesh.Deploy.Tests.Support;

/// <summary>One Dockerfile instruction, continuation lines joined.</summary>
internal sealed record DockerInstruction(string Keyword, string Args, int Stage);

/// <summary>A small Dockerfile reader: enough to check stages, user, ports, env and entrypoint statically.</summary>
internal sealed class Dockerfile
{
    private Dockerfile(string path, IReadOnlyList<DockerInstruction> instructions)
    {
        Path = path;
        Instructions = instructions;
    }

    public string Path { get; }

    public IReadOnlyList<DockerInstruction> Instructions { get; }

    public IReadOnlyList<string> Stages => [.. Instructions.Where(i => i.Keyword == "FROM").Select(i => i.Args)];

    public int FinalStage => Stages.Count - 1;

    public IEnumerable<DockerInstruction> Final(string keyword) =>
        Instructions.Where(i => i.Stage == FinalStage && i.Keyword == keyword);

    public SortedSet<int> ExposedPorts => new(Final("EXPOSE")
        .SelectMany(i => i.Args.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        .Select(p => int.Parse(p.Split('/')[0], CultureInfo.InvariantCulture)));

    public string? Env(string name)
    {
        foreach (var env in Final("ENV"))
        {
            foreach (var pair in env.Args.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                var eq = pair.IndexOf('=', StringComparison.Ordinal);
                if (eq > 0 && pair[..eq] == name)
                    return pair[(eq + 1)..];
            }
        }
        return null;
    }

    public IReadOnlyList<string> Entrypoint =>
        JsonSerializer.Deserialize<string[]>(Final("ENTRYPOINT").Single().Args) ?? [];

    public static string PathOf(string app) => RepoPaths.Path("services", app, "Dockerfile");

    public static Dockerfile Read(string app) => Parse(PathOf(app));

    public static Dockerfile Parse(string path)
    {
        var instructions = new List<DockerInstruction>();
        var stage = -1;
        var pending = "";
        foreach (var raw in File.ReadLines(path))
        {
            var line = raw.Trim();
            if (pending.Length == 0 && (line.Length == 0 || line.StartsWith('#')))
                continue;
            if (line.StartsWith('#'))
                continue; // comment inside a continued instruction
            if (line.EndsWith('\\'))
            {
                pending += line[..^1].TrimEnd() + " ";
                continue;
            }
            var full = (pending + line).Trim();
            pending = "";
            var space = full.IndexOf(' ', StringComparison.Ordinal);
            var keyword = (space < 0 ? full : full[..space]).ToUpperInvariant();
            var args = space < 0 ? "" : full[(space + 1)..].Trim();
            if (keyword == "FROM")
                stage++;
            instructions.Add(new DockerInstruction(keyword, args, stage));
        }
        return new Dockerfile(path, instructions);
    }
}
