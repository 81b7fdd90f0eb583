using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Garnet;

namespace InferenceMesh.Garnet;

/// <summary>A Garnet server (Microsoft.Garnet) hosted in this process on a free loopback port, Lua on, nothing
/// persisted: the embedded demo's prefix-index store and the tests' second Redis.</summary>
public sealed class InProcessGarnet : IDisposable, IAsyncDisposable
{
    private readonly GarnetServer _server;
    private readonly string? _ownedDirectory;

    private InProcessGarnet(GarnetServer server, string? ownedDirectory, int port)
    {
        _server = server;
        _ownedDirectory = ownedDirectory;
        Port = port;
    }

    /// <summary>The loopback port Garnet listens on.</summary>
    public int Port { get; }

    /// <summary>A StackExchange.Redis connection string for this server (e.g. <c>PrefixIndex:Redis</c>).</summary>
    public string ConnectionString => string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{Port}");

    /// <summary>Starts Garnet with <paramref name="options"/> (defaults when null).</summary>
    public static InProcessGarnet Start(InProcessGarnetOptions? options = null)
    {
        options ??= new InProcessGarnetOptions();
        var owned = options.CheckpointDirectory is null ? Directory.CreateTempSubdirectory("im-garnet-").FullName : null;
        var directory = owned ?? Directory.CreateDirectory(options.CheckpointDirectory!).FullName;
        var port = FreeLoopbackPort();
        List<string> args =
        [
            "--bind", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture),
            "--lua", "--memory", options.Memory, "--page", options.Page, "--index", options.Index,
            "--checkpointdir", directory, "--logger-level", options.LogLevel.ToString(), "--disable-console-logger", "-q",
        ];
        if (!options.PubSub)
            args.Add("--no-pubsub");
        if (options.CommandStats)
            args.Add("--commandstats-monitor");
        var server = new GarnetServer([.. args], loggerFactory: null, cleanupDir: false);
        try
        {
            server.Start();
        }
        catch
        {
            server.Dispose();
            if (owned is not null)
                Directory.Delete(owned, recursive: true);
            throw;
        }
        return new InProcessGarnet(server, owned, port);
    }

    private static int FreeLoopbackPort()
    {
        // Garnet takes a port number, not a bound socket: ask the OS for a free one and hand it over at once.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        _server.Dispose();
        if (_ownedDirectory is not null)
            Directory.Delete(_ownedDirectory, recursive: true);
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
