namespace InferenceMesh.Benchmarks.ExtProc;

/// <summary>Process-wide runtime work that lands in a row's CPU time without being the system under test's own:
/// JIT compilation (a row measured before tiered JIT settled pays it) and garbage collections per generation.</summary>
internal readonly record struct RuntimeCost(double JitMilliseconds, long JitMethods, int Gen0, int Gen1, int Gen2, double GcPauseMilliseconds)
{
    public static RuntimeCost Now() => new(
        System.Runtime.JitInfo.GetCompilationTime().TotalMilliseconds,
        System.Runtime.JitInfo.GetCompiledMethodCount(),
        GC.CollectionCount(0),
        GC.CollectionCount(1),
        GC.CollectionCount(2),
        GC.GetTotalPauseDuration().TotalMilliseconds);

    public static RuntimeCost operator -(RuntimeCost after, RuntimeCost before) => new(
        after.JitMilliseconds - before.JitMilliseconds,
        after.JitMethods - before.JitMethods,
        after.Gen0 - before.Gen0,
        after.Gen1 - before.Gen1,
        after.Gen2 - before.Gen2,
        after.GcPauseMilliseconds - before.GcPauseMilliseconds);
}
