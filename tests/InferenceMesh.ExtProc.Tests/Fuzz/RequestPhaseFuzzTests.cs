using System.Diagnostics;
using System.Globalization;
using FsCheck;
using FsCheck.Fluent;
using Xunit.Abstractions;

namespace InferenceMesh.ExtProc.Tests.Fuzz;

/// <summary>The ext_proc request phase under structured and random mutations (FsCheck generates and shrinks them). The
/// property: every input ends in a routing answer, an immediate 4xx (400/404/413), a clean close without a decision
/// (no end_of_stream) or a gRPC status naming the protocol violation; never UNKNOWN/INTERNAL, never a 5xx for a client
/// error, never past <see cref="FuzzDriver.Deadline"/>; and memory after the run stays within a bound.
/// CI runs a fixed-seed slice of 2,000 cases; <c>FUZZ_CASES</c> (and <c>FUZZ_SEED</c>) run more (docs/benchmarks/fuzz.md).
/// Runs alone (<see cref="SerialGroup"/>): the memory bound is measured on the whole process.</summary>
[Collection(nameof(SerialGroup))]
public sealed class RequestPhaseFuzzTests(ITestOutputHelper output)
{
    private const int CiCases = 2_000;
    private const ulong CiSeed = 20_261_204;

    /// <summary>Retained managed memory the run may add (pooled buffers and the metrics' fixed series are all it should keep).</summary>
    private const long MaxRetainedGrowthBytes = 64L * 1024 * 1024;

    [Fact]
    public void RequestPhase_AnyInput_EndsInAnAnswerOrACleanClose()
    {
        var cases = int.TryParse(Environment.GetEnvironmentVariable("FUZZ_CASES"), CultureInfo.InvariantCulture, out var n) ? n : CiCases;
        var seed = ulong.TryParse(Environment.GetEnvironmentVariable("FUZZ_SEED"), CultureInfo.InvariantCulture, out var s) ? s : CiSeed;
        using var driver = new FuzzDriver();

        // Warm up (pools, JIT, the metric series) before the baseline.
        var warm = new FuzzCase(0, 0, 0, 0, 0, 64, false, true, 0, 0);
        for (var i = 0; i < 50; i++)
            driver.Run(warm);
        driver.Outcomes.Clear();
        var baseline = GC.GetTotalMemory(forceFullCollection: true);
        var started = Stopwatch.GetTimestamp();

        var property = Prop.ForAll(Arb.From(FuzzCase.Generator), input =>
        {
            var outcome = driver.Run(input);
            return !outcome.StartsWith("FAIL", StringComparison.Ordinal);
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(cases).WithReplay(seed, 0x9E3779B97F4A7C15UL), property);

        var retained = GC.GetTotalMemory(forceFullCollection: true) - baseline;
        var peakRss = Process.GetCurrentProcess().PeakWorkingSet64;
        var summary = $"{cases} cases, seed {seed}: " + string.Join(", ", driver.Outcomes.OrderByDescending(o => o.Value).Select(o => $"{o.Key} {o.Value}"))
            + $"; retained managed growth {retained / 1024} KiB; peak RSS {peakRss / (1024 * 1024)} MiB; {Stopwatch.GetElapsedTime(started).TotalSeconds:F0} s";
        output.WriteLine(summary);
        if (Environment.GetEnvironmentVariable("FUZZ_REPORT") is { Length: > 0 } report)
            File.AppendAllText(report, summary + Environment.NewLine);

        Assert.Equal(cases, driver.Outcomes.Values.Sum());
        Assert.True(retained < MaxRetainedGrowthBytes, summary);
        // The generator reaches every kind of ending, so the property is not passing vacuously.
        Assert.Contains("routed", driver.Outcomes.Keys);
        Assert.Contains("immediate 400", driver.Outcomes.Keys);
        Assert.Contains("immediate 413", driver.Outcomes.Keys);
    }
}
