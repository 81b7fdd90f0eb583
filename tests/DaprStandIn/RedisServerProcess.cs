using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace InferenceMesh.DaprStandIn;

/// <summary>A real <c>redis-server</c> on a free loopback port in its own temp dir, nothing persisted; can be killed and
/// restarted on the same port; killed on dispose. The one redis-server helper of every test and benchmark project.</summary>
public sealed class RedisServerProcess : IDisposable
{
    private readonly string[] _extraArgs;
    private readonly bool _tls;
    private Process? _process;

    private RedisServerProcess(string[] extraArgs, bool tls)
    {
        _extraArgs = extraArgs;
        _tls = tls;
        Directory = Path.Combine(Path.GetTempPath(), "im-test-redis-" + Guid.NewGuid().ToString("N")[..12]);
        System.IO.Directory.CreateDirectory(Directory);
        Port = FreePort();
    }

    public int Port { get; }

    public string Directory { get; }

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>StackExchange.Redis configuration of a plain connection to this server.</summary>
    public string Configuration => $"127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)},connectTimeout=10000,syncTimeout=30000,asyncTimeout=30000";

    public static RedisServerProcess Start(params string[] extraArgs)
    {
        var server = new RedisServerProcess(extraArgs, tls: false);
        server.Launch();
        return server;
    }

    /// <summary>Starts a TLS-only server (plain port disabled) with the given PEM files.</summary>
    public static RedisServerProcess StartTls(string certFile, string keyFile, string caFile)
    {
        var server = new RedisServerProcess(["--tls-cert-file", certFile, "--tls-key-file", keyFile, "--tls-ca-cert-file", caFile, "--tls-auth-clients", "no"], tls: true);
        server.Launch();
        return server;
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void Launch()
    {
        var info = new ProcessStartInfo("redis-server")
        {
            WorkingDirectory = Directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var port = Port.ToString(CultureInfo.InvariantCulture);
        if (_tls)
        {
            info.ArgumentList.Add("--port");
            info.ArgumentList.Add("0");
            info.ArgumentList.Add("--tls-port");
            info.ArgumentList.Add(port);
        }
        else
        {
            info.ArgumentList.Add("--port");
            info.ArgumentList.Add(port);
        }
        foreach (var a in new[] { "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", Directory })
            info.ArgumentList.Add(a);
        foreach (var a in _extraArgs)
            info.ArgumentList.Add(a);
        _process = Process.Start(info) ?? throw new InvalidOperationException("redis-server did not start (is it installed?)");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        WaitListening();
    }

    private void WaitListening()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (_process!.HasExited)
                throw new InvalidOperationException($"redis-server exited with {_process.ExitCode}");
            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException)
            {
                Task.Delay(20).Wait();
            }
        }
        throw new TimeoutException("redis-server did not listen within 30 s");
    }

    /// <summary>SIGKILL: connections drop without a goodbye, as in a crash.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
        _process?.Dispose();
        _process = null;
    }

    /// <summary>Starts the server again on the same port (empty: nothing is persisted).</summary>
    public void Restart()
    {
        Kill();
        Launch();
    }

    public void Dispose()
    {
        Kill();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // a leftover temp dir is harmless
        }
    }
}
