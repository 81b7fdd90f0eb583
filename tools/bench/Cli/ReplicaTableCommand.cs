using System.CommandLine;
using InferenceMesh.Bench.Report;
using InferenceMesh.Bench.Results;

namespace InferenceMesh.Bench.Cli;

/// <summary><c>bench replica-table a.json b.json …</c>: the replicas table (docs/benchmarks/replicas.md) from replay results.</summary>
internal static class ReplicaTableCommand
{
    public static Command Create()
    {
        var files = new Argument<string[]>("results") { Description = "Result JSON files of `bench replay --replicas N --out`", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string?>("--out") { Description = "Markdown file to write (default: print)" };
        var cmd = new Command("replica-table", "Tabulate replay results over replica counts and sharing variants (TTFT, prefix hit, queue overshoot, change against 1 replica)") { files, output };
        cmd.SetAction(r =>
        {
            try
            {
                var inputs = new List<BenchResults>();
                foreach (var f in r.GetValue(files) ?? [])
                {
                    if (!File.Exists(f))
                    {
                        throw new UsageException($"results file not found: {f}");
                    }

                    try
                    {
                        inputs.Add(ResultsJson.Deserialize(File.ReadAllText(f)));
                    }
                    catch (System.Text.Json.JsonException e)
                    {
                        throw new UsageException($"{f} is not a bench results file: {e.Message}");
                    }
                }

                var markdown = ReplicaTable.Render(inputs);
                if (r.GetValue(output) is { Length: > 0 } path)
                {
                    File.WriteAllText(path, markdown);
                    Console.WriteLine("wrote " + path);
                }
                else
                {
                    Console.Write(markdown);
                }

                return CliErrors.Ok;
            }
            catch (UsageException e)
            {
                Console.Error.WriteLine("error: " + e.Message);
                return CliErrors.Usage;
            }
        });
        return cmd;
    }
}
