using BenchmarkDotNet.Running;
using InferenceMesh.Benchmarks.ExtProc;
using InferenceMesh.Benchmarks.Prefix;

// `probe-prefix` runs the latency/round-trip/memory probe against a throw-away redis-server (`probe-prefix --help`) and `probe-extproc` the
// per-decision ext_proc latency probe (`probe-extproc --help`): percentiles BenchmarkDotNet does not report. Anything
// else goes to BenchmarkDotNet (`--filter '*Prefix*'`, `--list flat`, `--job short`).
if (args.Length > 0 && args[0] == "probe-prefix")
    return await PrefixIndexProbe.RunAsync(args[1..], Console.Out, Console.Error);

if (args.Length > 0 && args[0] == "probe-extproc-handler")
    return await ExtProcHandlerProbe.RunAsync(args[1..], Console.Out, Console.Error);

if (args.Length > 0 && args[0] == "probe-extproc")
    return await ExtProcProbe.RunAsync(args[1..], Console.Out, Console.Error);

BenchmarkSwitcher.FromAssembly(typeof(PrefixIndexProbe).Assembly).Run(args);
return 0;
