using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using InferenceMesh.Redis;

namespace InferenceMesh.Benchmarks.Prefix;

/// <summary>A throwaway redis-server on a free loopback port (no persistence) for the index benchmarks.</summary>
internal sealed class LoopbackRedis : IDisposable
{
    private readonly Process _process;
    private readonly string _directory;

    private LoopbackRedis(Process process, string directory, int port)
    {
        _process = process;
        _directory = directory;
        Port = port;
    }

    public int Port { get; }

    public RedisOptions Options => new() { Host = "127.0.0.1", Port = Port, Protocol = 3, CommandTimeout = TimeSpan.FromSeconds(30) };

    public static LoopbackRedis Start()
    {
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        var directory = Directory.CreateTempSubdirectory("im-bench-redis-").FullName;
        var info = new ProcessStartInfo("redis-server") { WorkingDirectory = directory, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { "--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", directory })
            info.ArgumentList.Add(a);
        var process = Process.Start(info) ?? throw new InvalidOperationException("redis-server did not start");
        process.OutputDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, port);
                break;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(20);
            }
        }
        return new LoopbackRedis(process, directory, port);
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }
        _process.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
