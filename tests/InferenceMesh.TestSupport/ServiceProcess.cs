using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace InferenceMesh.TestSupport;

/// <summary>One service as its own OS process: <c>dotnet &lt;service&gt;.dll</c> from the service's build output (its
/// content root and appsettings.json), configured by environment variables and arguments the way <c>dapr run</c> and
/// Kubernetes do.</summary>
public sealed partial class ServiceProcess : IAsyncDisposable
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(90);
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private ServiceProcess(string name, Process process)
    {
        Name = name;
        _process = process;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) _output.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) _output.Enqueue(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Name { get; }

    public string Output => string.Join('\n', _output);

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Starts <c>services/&lt;serviceDir&gt;</c>'s built <paramref name="assembly"/> in the Production environment
    /// (override with DOTNET_ENVIRONMENT in <paramref name="environment"/>), with console logs in the simple format.</summary>
    public static ServiceProcess Start(string name, string serviceDir, string assembly, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var binDir = RepoPaths.Path("services", serviceDir, "bin", RepoPaths.Configuration, "net10.0");
        var dll = Path.Combine(binDir, assembly + ".dll");
        if (!File.Exists(dll))
            throw new InvalidOperationException($"{dll} is missing: build the solution (or this test project) first");
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = binDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(dll);
        foreach (var a in args)
            info.ArgumentList.Add(a);
        info.Environment["DOTNET_ENVIRONMENT"] = "Production";
        info.Environment["Logging__Console__FormatterName"] = "simple";
        // The sidecar settings are the caller's to give (Dapr.Client reads them from the environment); none leak in.
        foreach (var key in (string[])["DAPR_HTTP_PORT", "DAPR_GRPC_PORT", "DAPR_HTTP_ENDPOINT", "DAPR_GRPC_ENDPOINT", "DAPR_API_TOKEN", "APP_API_TOKEN"])
            info.Environment.Remove(key);
        info.Environment.Remove("OTEL_EXPORTER_OTLP_ENDPOINT");
        foreach (var (k, v) in environment ?? new Dictionary<string, string>())
            info.Environment[k] = v;
        return new ServiceProcess(name, Process.Start(info) ?? throw new InvalidOperationException("dotnet did not start"));
    }

    /// <summary>Waits for the first "Now listening on" address, or fails with the process output if it exits first.</summary>
    public async Task<Uri> WaitListeningAsync(TimeSpan? timeout = null) => (await WaitListeningAsync(1, timeout))[0];

    /// <summary>Waits for <paramref name="count"/> "Now listening on" addresses (in the order Kestrel logged them), or
    /// fails with <see cref="ServiceExitedException"/> and the process output if it exits first.</summary>
    public async Task<IReadOnlyList<Uri>> WaitListeningAsync(int count, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        while (true)
        {
            if (_process.HasExited)
                throw new ServiceExitedException($"{Name} exited with {_process.ExitCode}:\n{Output}");
            var addresses = new List<Uri>();
            foreach (var line in _output)
            {
                var m = ListeningLine().Match(line);
                if (m.Success)
                    addresses.Add(new Uri(m.Groups[1].Value + "/"));
            }
            if (addresses.Count >= count)
                return addresses;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Timed out waiting for {Name} to listen on {count} address(es):\n{Output}");
            await Task.Delay(50);
        }
    }

    public async Task<int> WaitExitAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    /// <summary>SIGTERM, as Kubernetes and <c>dapr run</c> stop a service.</summary>
    public void Terminate()
    {
        // Through sh: its built-in kill exists even where procps is not installed.
        using var kill = Process.Start("sh", ["-c", "kill -TERM " + _process.Id.ToString(CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    /// <summary>SIGKILL: the process dies without draining, as on a node failure.</summary>
    public async Task KillAsync()
    {
        if (_process.HasExited)
            return;
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }

    [GeneratedRegex(@"Now listening on: (http://127\.0\.0\.1:\d+)")]
    private static partial Regex ListeningLine();
}

/// <summary>A service process ended before it listened (e.g. a port taken between choosing and binding it).</summary>
public sealed class ServiceExitedException(string message) : Exception(message);
