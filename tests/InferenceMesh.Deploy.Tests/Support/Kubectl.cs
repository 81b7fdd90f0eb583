using System.Diagnostics;

namespace InferenceMesh.Deploy.Tests.Support;

internal sealed record ProcessResult(int ExitCode, string StdOut, string StdErr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{StdOut}\n--- stderr\n{StdErr}";
}

/// <summary>Runs the kubectl on this machine (kustomize is built in). Every call is bounded by a generous timeout.</summary>
internal static class Kubectl
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    public static string Path =>
        File.Exists("/usr/bin/kubectl") ? "/usr/bin/kubectl"
        : FindOnPath("kubectl") ?? throw new InvalidOperationException(
            "kubectl not found: install kubectl >= 1.27 (it carries kustomize) to run the deploy/k8s render and dry-run tests");

    public static async Task<ProcessResult> RunAsync(IReadOnlyList<string> args, string? stdin = null, IReadOnlyDictionary<string, string>? env = null)
    {
        var psi = new ProcessStartInfo(Path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
            WorkingDirectory = RepoPaths.Root,
        };
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        // Never let a developer's real kubeconfig or cluster leak into a test.
        psi.Environment["KUBECONFIG"] = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "inferencemesh-no-kubeconfig");
        if (env is not null)
        {
            foreach (var (k, v) in env)
                psi.Environment[k] = v;
        }
        using var process = Process.Start(psi) ?? throw new InvalidOperationException("kubectl did not start");
        using var cts = new CancellationTokenSource(Timeout);
        var stdout = process.StandardOutput.ReadToEndAsync(cts.Token);
        var stderr = process.StandardError.ReadToEndAsync(cts.Token);
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin.AsMemory(), cts.Token);
            process.StandardInput.Close();
        }
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"kubectl {string.Join(' ', args)} did not finish within {Timeout}");
        }
        return new ProcessResult(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Renders a kustomization directory (repository-relative) to its documents.</summary>
    public static async Task<string> KustomizeAsync(string dir)
    {
        var result = await RunAsync(["kustomize", dir]);
        Assert.True(result.ExitCode == 0, $"kubectl kustomize {dir} failed: {result}");
        return result.StdOut;
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
        .Split(System.IO.Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
        .Select(d => System.IO.Path.Combine(d, name))
        .FirstOrDefault(File.Exists);
}
