using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using InferenceMesh.Redis;

namespace InferenceMesh.PrefixIndex.Tests.Infrastructure;

/// <summary>A Garnet server (Microsoft's RESP server, <c>dotnet tool install -g garnet-server</c>) with Lua enabled, on a
/// free loopback port. Found through <c>GARNET_SERVER</c>, the PATH, or ~/.dotnet/tools.</summary>
public sealed class GarnetServer : IDisposable
{
    private readonly Process _process;

    private GarnetServer(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public RedisOptions Options => new() { Host = "127.0.0.1", Port = Port, Protocol = 3, CommandTimeout = TimeSpan.FromSeconds(30), ConnectTimeout = TimeSpan.FromSeconds(10) };

    public static string? Executable { get; } = Find();

    private static string? Find()
    {
        var configured = Environment.GetEnvironmentVariable("GARNET_SERVER");
        if (!string.IsNullOrEmpty(configured) && File.Exists(configured))
            return configured;
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
        {
            var candidate = Path.Combine(dir, "garnet-server");
            if (File.Exists(candidate))
                return candidate;
        }
        var tools = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".dotnet", "tools", "garnet-server");
        return File.Exists(tools) ? tools : null;
    }

    public static GarnetServer Start()
    {
        var executable = Executable ?? throw new InvalidOperationException("garnet-server not installed");
        var port = RedisServer.FreePort();
        var info = new ProcessStartInfo(executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--lua" })
            info.ArgumentList.Add(a);
        var process = Process.Start(info) ?? throw new InvalidOperationException("garnet-server did not start");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            if (process.HasExited)
                throw new InvalidOperationException($"garnet-server exited with {process.ExitCode}");
            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, port);
                return new GarnetServer(process, port);
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                Task.Delay(50).Wait();
            }
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
        _process.Dispose();
    }
}

/// <summary>A fact that runs only where garnet-server is installed (it is optional here).</summary>
public sealed class GarnetFactAttribute : FactAttribute
{
    public GarnetFactAttribute()
    {
        if (GarnetServer.Executable is null)
            Skip = "garnet-server is not installed (dotnet tool install -g garnet-server, or set GARNET_SERVER)";
    }
}
