using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;

namespace InferenceMesh.Foundation.Tests.Support;

/// <summary>A service started the way <c>dotnet run</c> starts it (its built assembly, its own content root and appsettings),
/// on loopback port 0; the bound address is read from the "Now listening on" log line.</summary>
internal sealed partial class ServiceProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private ServiceProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) _output.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) _output.Enqueue(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Output => string.Join('\n', _output);

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public static ServiceProcess Start(string serviceDir, string assembly, params string[] args)
    {
        var binDir = RepoPaths.Path("services", serviceDir, "bin", RepoPaths.Configuration, "net10.0");
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = binDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(binDir, assembly + ".dll"));
        info.ArgumentList.Add("--urls");
        info.ArgumentList.Add("http://127.0.0.1:0");
        foreach (var a in args)
            info.ArgumentList.Add(a);
        info.Environment["DOTNET_ENVIRONMENT"] = "Development";
        info.Environment["Logging__Console__FormatterName"] = "simple";
        info.Environment["Dapr__SidecarWaitSeconds"] = "0";
        info.Environment.Remove("OTEL_EXPORTER_OTLP_ENDPOINT");
        return new ServiceProcess(Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start"));
    }

    /// <summary>Waits for the bound HTTP address, or fails with the process output if it exits first.</summary>
    public async Task<Uri> WaitListeningAsync()
    {
        Uri? address = null;
        await Poll.UntilAsync(() =>
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"service exited with {_process.ExitCode}:\n{Output}");
            foreach (var line in _output)
            {
                var m = ListeningLine().Match(line);
                if (m.Success)
                {
                    address = new Uri(m.Groups[1].Value);
                    return true;
                }
            }
            return false;
        }, "the service to listen", TimeSpan.FromSeconds(90));
        return address!;
    }

    public async Task<int> WaitExitAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    /// <summary>SIGTERM, as Kubernetes and <c>dapr run</c> stop a service.</summary>
    public void Terminate()
    {
        // Through sh: its built-in kill exists even where procps is not installed.
        using var kill = Process.Start("sh", ["-c", "kill -TERM " + _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }

    [GeneratedRegex(@"Now listening on: (http://127\.0\.0\.1:\d+)")]
    private static partial Regex ListeningLine();
}
