using System.Globalization;
using System.Text.RegularExpressions;

namespace InferenceMesh.Deploy.Tests.Support;

/// <summary>The services' default ports as documented in docs/architecture.md (the table "Ports (local defaults)").</summary>
internal static partial class DefaultPorts
{
    private static readonly Lazy<IReadOnlyDictionary<string, int>> Http = new(() => Read(HttpRow()));
    private static readonly Lazy<IReadOnlyDictionary<string, int>> Grpc = new(() => Read(GrpcRow()));

    public static int HttpOf(string appId) =>
        Http.Value.TryGetValue(appId, out var port) ? port : throw new InvalidDataException($"no HTTP port for {appId} in docs/architecture.md");

    public static int ExtProcGrpc =>
        Grpc.Value.TryGetValue("ext-proc", out var port) ? port : throw new InvalidDataException("no ext-proc gRPC port in docs/architecture.md");

    private static Dictionary<string, int> Read(Regex row)
    {
        var map = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(RepoPaths.Path("docs", "architecture.md")))
        {
            var m = row.Match(line);
            if (m.Success)
                map[m.Groups["app"].Value] = int.Parse(m.Groups["port"].Value, CultureInfo.InvariantCulture);
        }
        return map;
    }

    [GeneratedRegex(@"^\|\s*(?<app>[a-z-]+) HTTP[^|]*\|\s*(?<port>\d+)\s*\|")]
    private static partial Regex HttpRow();

    [GeneratedRegex(@"^\|\s*(?<app>[a-z-]+) gRPC[^|]*\|\s*(?<port>\d+)\s*\|")]
    private static partial Regex GrpcRow();
}
