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

// In process: BenchmarkDotNet's default out-of-process toolchain rebuilds this project inside its bin folder, where Grpc.Tools'
// generated ext_proc sources are not found (CS2001), so every case reported NA. The results are the same measurements in this
// process (server GC, as the services run).
BenchmarkSwitcher.FromAssembly(typeof(PrefixIndexProbe).Assembly).Run(args.Contains("--inProcess") ? args : [.. args, "--inProcess"]);
return 0;
