using BenchmarkDotNet.Running;
using InferenceMesh.Benchmarks.Prefix;

// `probe-prefix` runs the latency/round-trip/memory probe against a throw-away redis-server (percentiles BenchmarkDotNet
// does not report); anything else goes to BenchmarkDotNet (`--filter '*Prefix*'`, `--list flat`, `--job short`).
if (args.Length > 0 && args[0] == "probe-prefix")
{
    await PrefixIndexProbe.RunAsync(Console.Out);
    return 0;
}

BenchmarkSwitcher.FromAssembly(typeof(PrefixIndexProbe).Assembly).Run(args);
return 0;
