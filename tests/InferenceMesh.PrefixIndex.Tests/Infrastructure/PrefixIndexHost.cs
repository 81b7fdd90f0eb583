using InferenceMesh.Contracts;
using InferenceMesh.ServiceDefaults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace InferenceMesh.PrefixIndex.Tests.Infrastructure;

/// <summary>The real prefix-index service (same wiring as Program.cs) on Kestrel, loopback port 0.</summary>
public sealed class PrefixIndexHost : IAsyncDisposable
{
    private PrefixIndexHost(WebApplication app, Uri address)
    {
        App = app;
        Address = address;
        Client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(10) };
    }

    public WebApplication App { get; }

    public Uri Address { get; }

    public HttpClient Client { get; }

    public static async Task<PrefixIndexHost> StartAsync(IDictionary<string, string?> settings)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders();
        builder.AddServiceDefaults(AppIds.PrefixIndex);
        builder.AddPrefixIndex();
        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapPrefixIndexApi();
        await app.StartAsync();
        return new PrefixIndexHost(app, TestServers.AddressOf(app));
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
