using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

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

    private SimFleetHost(SimHostOptions options, FleetDriver driver, List<WebApplication> apps, List<Uri> addresses)
    {
        Options = options;
        _driver = driver;
        _apps = apps;
        BaseAddresses = addresses;
    }

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
            }
        }
        catch
        {
            foreach (var a in apps)
                await a.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        driver.Start();
        return new SimFleetHost(options, driver, apps, addresses);
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
    }
}
