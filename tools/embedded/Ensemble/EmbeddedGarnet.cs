using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Garnet;

namespace InferenceMesh.Embedded.Ensemble;

/// <summary>A Garnet server (Microsoft.Garnet) inside the embedded process on a free loopback port: Lua on, small memory
/// (a demo's index is a few MB), nothing persisted. Garnet has no Streams, so pub/sub stays on the in-process bus.</summary>
internal sealed class EmbeddedGarnet : IAsyncDisposable
{
    private readonly GarnetServer _server;
    private readonly string _directory;

    private EmbeddedGarnet(GarnetServer server, string directory, int port)
    {
        _server = server;
        _directory = directory;
        Port = port;
    }

    /// <summary>The loopback port Garnet listens on.</summary>
    public int Port { get; }

    /// <summary>The <c>PrefixIndex:Redis</c> connection string for this server.</summary>
    public string ConnectionString => string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{Port}");

    /// <summary>Starts Garnet; <paramref name="directory"/> is its own (empty) checkpoint folder, never the working directory.</summary>
    public static EmbeddedGarnet Start(string directory, LogLevel logLevel)
    {
        Directory.CreateDirectory(directory);
        var port = FreeLoopbackPort();
        var server = new GarnetServer(
        [
            "--bind", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture),
            "--lua", "--memory", "32m", "--page", "1m", "--index", "4m", "--no-pubsub",
            "--checkpointdir", directory, "--logger-level", logLevel.ToString(), "--disable-console-logger", "-q",
        ], loggerFactory: null, cleanupDir: false);
        try
        {
            server.Start();
        }
        catch
        {
            server.Dispose();
            throw;
        }
        return new EmbeddedGarnet(server, directory, port);
    }

    private static int FreeLoopbackPort()
    {
        // Garnet takes a port number, not a bound socket: ask the OS for a free one and hand it over at once.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public ValueTask DisposeAsync()
    {
        _server.Dispose();
        return ValueTask.CompletedTask;
    }
}
