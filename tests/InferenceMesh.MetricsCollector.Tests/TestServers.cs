using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace InferenceMesh.MetricsCollector.Tests;

/// <summary>Starting real Kestrel servers on loopback and polling for conditions without sleeping blindly.</summary>
internal static class TestServers
{
    /// <summary>Starts <paramref name="configure"/>'s app on 127.0.0.1 (port 0 unless <paramref name="port"/> is given).</summary>
    public static async Task<(WebApplication App, Uri Address)> StartAsync(Action<WebApplication> configure, int port = 0,
        WebApplicationBuilder? builder = null)
    {
        builder ??= WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(System.Net.IPAddress.Loopback, port));
        var app = builder.Build();
        configure(app);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return (app, new Uri(address.EndsWith('/') ? address : address + "/"));
    }

    /// <summary>Polls <paramref name="condition"/> until it holds or <paramref name="timeout"/> passes (generous: the machine is shared).</summary>
    public static Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        WaitUntilAsync(() => Task.FromResult(condition()), what, timeout);

    /// <summary>The same, for an asynchronous condition.</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"timed out waiting until {what}");
            await Task.Delay(10);
        }
    }
}
