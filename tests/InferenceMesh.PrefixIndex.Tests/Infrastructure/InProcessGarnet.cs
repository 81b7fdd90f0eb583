using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Garnet;

namespace InferenceMesh.PrefixIndex.Tests.Infrastructure;

/// <summary>A Garnet server (Microsoft.Garnet) hosted in this test process on a free loopback port, Lua on, small memory,
/// nothing on disk. Garnet's checkpoint directory is a temp folder of its own: never the working directory.</summary>
public sealed class InProcessGarnet : IDisposable
{
    private readonly GarnetServer _server;
    private readonly string _directory;

    private InProcessGarnet(GarnetServer server, string directory, int port)
    {
        _server = server;
        _directory = directory;
        Port = port;
    }

    public int Port { get; }

    /// <summary>A StackExchange.Redis connection string for this server.</summary>
    public string ConnectionString => string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{Port},allowAdmin=true");

    public static InProcessGarnet Start()
    {
        var directory = Directory.CreateTempSubdirectory("im-test-garnet-").FullName;
        var port = FreePort();
        var server = new GarnetServer(
        [
            "--bind", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture),
            "--lua", "--memory", "16m", "--page", "1m", "--index", "1m", "--commandstats-monitor",
            "--checkpointdir", directory, "--logger-level", "Warning", "--disable-console-logger", "-q",
        ], loggerFactory: null, cleanupDir: false);
        server.Start();
        return new InProcessGarnet(server, directory, port);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        _server.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
