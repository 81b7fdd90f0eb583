using System.Diagnostics;
using System.Text.Json;

namespace InferenceMesh.ExtProc.Tests;

/// <summary>Runs tests/peers/extproc-peer.js (grpc-js) against a server and returns its JSON result.</summary>
internal sealed class NodePeer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Task<string> _stdout;
    private readonly Task<string> _stderr;

    private NodePeer(Process process)
    {
        _process = process;
        _stdout = process.StandardOutput.ReadToEndAsync();
        _stderr = process.StandardError.ReadToEndAsync();
    }

    public static string PeersDirectory
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "tests", "peers");
                if (File.Exists(Path.Combine(candidate, "extproc-peer.js")))
                    return candidate;
            }
            throw new InvalidOperationException("tests/peers/extproc-peer.js not found above " + AppContext.BaseDirectory);
        }
    }

    /// <param name="environment">Extra environment for the peer (PEER_CA_FILE = TLS with that root, PEER_SUBSET = a subset hint).</param>
    public static NodePeer Start(int port, string scenario, IReadOnlyDictionary<string, string>? environment = null)
    {
        var dir = PeersDirectory;
        if (!Directory.Exists(Path.Combine(dir, "node_modules", "@grpc", "grpc-js")))
            Assert.Fail($"The grpc-js test peer is not installed. Run: cd tests/peers && npm ci --no-audit --no-fund   (looked in {dir})");
        var psi = new ProcessStartInfo("node")
        {
            WorkingDirectory = dir,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("extproc-peer.js");
        psi.ArgumentList.Add($"127.0.0.1:{port}");
        psi.ArgumentList.Add(scenario);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
            psi.Environment[key] = value;
        try
        {
            return new NodePeer(Process.Start(psi)!);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException("node is not on PATH (Node.js 18+ is needed for the grpc-js peer tests)", ex);
        }
    }

    /// <summary>Sends a line to the peer (e.g. "cancel now").</summary>
    public async Task SignalAsync()
    {
        await _process.StandardInput.WriteLineAsync("go");
        await _process.StandardInput.FlushAsync();
    }

    public async Task<JsonElement> ResultAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            Assert.Fail("the grpc-js peer did not finish in 120 s: " + await _stderr);
        }
        var stdout = await _stdout;
        var stderr = await _stderr;
        Assert.True(_process.ExitCode == 0, $"grpc-js peer failed (exit {_process.ExitCode}): {stderr}");
        return JsonDocument.Parse(stdout).RootElement.Clone();
    }

    public static async Task<JsonElement> RunAsync(int port, string scenario, IReadOnlyDictionary<string, string>? environment = null)
    {
        await using var peer = Start(port, scenario, environment);
        return await peer.ResultAsync();
    }

    public ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
            _process.Kill(entireProcessTree: true);
        _process.Dispose();
        return ValueTask.CompletedTask;
    }
}
