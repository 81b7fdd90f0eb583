using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using InferenceMesh.VllmSim.KvEvents;

namespace InferenceMesh.VllmSim.Http;

/// <summary>
/// Serves a simulated fleet over HTTP: one Kestrel listener per server on consecutive ports (or ephemeral ports when
/// <see cref="SimHostOptions.Port"/> is 0), all in this process, driven in wall time × <see cref="SimHostOptions.TimeScale"/>.
/// Used by the CLI, the embedded mode and integration tests.
/// </summary>
public sealed class SimFleetHost : IAsyncDisposable
{
    private readonly FleetDriver _driver;
    private readonly List<WebApplication> _apps;
    private readonly List<KvEventPublisher> _kvEvents;

    private SimFleetHost(SimHostOptions options, FleetDriver driver, List<WebApplication> apps, List<Uri> addresses, List<KvEventPublisher> kvEvents)
    {
        Options = options;
        _driver = driver;
        _apps = apps;
        BaseAddresses = addresses;
        _kvEvents = kvEvents;
    }

    /// <summary>Each server's KV-event publisher (empty unless <see cref="SimHostOptions.KvEventsPortOffset"/> is set).</summary>
    public IReadOnlyList<KvEventPublisher> KvEventPublishers => _kvEvents;

    /// <summary>The options served.</summary>
    public SimHostOptions Options { get; }

    /// <summary>One base address per server (<c>http://127.0.0.1:port/</c>), by server index.</summary>
    public IReadOnlyList<Uri> BaseAddresses { get; }

    /// <summary>The fleet. Read it through <see cref="Inspect"/> for a consistent view while it runs.</summary>
    public SimFleet Fleet => _driver.Fleet;

    /// <summary>Current simulated time, ms.</summary>
    public double SimNowMs => _driver.SimNowMs;

    /// <summary>Reads the fleet's true state under the engine lock, after advancing it to now.</summary>
    public T Inspect<T>(Func<SimFleet, T> read)
    {
        ArgumentNullException.ThrowIfNull(read);
        return _driver.Inspect(read);
    }

    /// <summary>Starts the fleet and its listeners; returns once every port is bound.</summary>
    public static async Task<SimFleetHost> StartAsync(SimHostOptions options, TimeProvider? time = null, Action<ILoggingBuilder>? logging = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        time ??= TimeProvider.System;
        var fleet = new SimFleet(options.Server, options.Servers);
        var driver = new FleetDriver(fleet, options.TimeScale, time);
        var apps = new List<WebApplication>(options.Servers);
        var addresses = new List<Uri>(options.Servers);
        var kvEvents = new List<KvEventPublisher>();
        var address = IPAddress.Parse(options.Host);
        try
        {
            for (var i = 0; i < options.Servers; i++)
            {
                var builder = WebApplication.CreateSlimBuilder();
                builder.Logging.ClearProviders();
                logging?.Invoke(builder.Logging);
                var port = options.Port == 0 ? 0 : options.Port + i;
                builder.WebHost.ConfigureKestrel(k =>
                {
                    k.Listen(address, port);
                    k.Limits.MaxRequestBodySize = null;
                    k.Limits.MinRequestBodyDataRate = null;
                });
                builder.Services.AddRouting();
                var app = builder.Build();
                app.MapSimServer(new ServerEndpoint(driver, i, options));
                await app.StartAsync(ct).ConfigureAwait(false);
                apps.Add(app);
                addresses.Add(new Uri(app.Urls.First().Replace("[::]", "127.0.0.1", StringComparison.Ordinal) + "/"));
                if (options.KvEventsPortOffset > 0)
                    kvEvents.Add(StartKvEvents(options, fleet.Servers[i], port));
            }
        }
        catch
        {
            foreach (var a in apps)
                await a.DisposeAsync().ConfigureAwait(false);
            foreach (var p in kvEvents)
                p.Dispose();
            throw;
        }
        driver.Start();
        return new SimFleetHost(options, driver, apps, addresses, kvEvents);
    }

    /// <summary>Completes when every listener has shut down (e.g. Ctrl+C in the CLI).</summary>
    public Task WaitForShutdownAsync(CancellationToken ct = default)
    {
        var tasks = new Task[_apps.Count];
        for (var i = 0; i < _apps.Count; i++)
            tasks[i] = _apps[i].WaitForShutdownAsync(ct);
        return Task.WhenAll(tasks);
    }

    /// <summary>Stops the listeners and the engine loop.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var app in _apps)
        {
            await app.StopAsync().ConfigureAwait(false);
            await app.DisposeAsync().ConfigureAwait(false);
        }
        await _driver.DisposeAsync().ConfigureAwait(false);
        foreach (var p in _kvEvents)
            p.Dispose();
    }

    // Before the driver starts: the engine reports to the publisher under the driver's lock from then on.
    private static KvEventPublisher StartKvEvents(SimHostOptions options, SimServer server, int httpPort)
    {
        var k = options.KvEventsPortOffset;
        var publisher = new KvEventPublisher(options.Host, httpPort == 0 ? 0 : httpPort + k, httpPort == 0 ? 0 : httpPort + (2 * k),
            options.KvEventsTopic, options.Server.LoraModules);
        server.KvEvents = publisher;
        return publisher;
    }
}
