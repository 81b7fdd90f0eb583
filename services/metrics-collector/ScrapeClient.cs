namespace InferenceMesh.MetricsCollector;

/// <summary>The one HttpClient all scrapers share: pooled keep-alive connections, no proxy, connect bounded by the scrape timeout.</summary>
internal sealed class ScrapeClient : IDisposable
{
    public ScrapeClient(Microsoft.Extensions.Options.IOptions<CollectorOptions> options)
    {
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AutomaticDecompression = System.Net.DecompressionMethods.None,
            ConnectTimeout = options.Value.ScrapeTimeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            // One scrape per endpoint is in flight at a time; a second connection only covers a reconnect overlap.
            MaxConnectionsPerServer = 2,
        };
        Http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    public HttpClient Http { get; }

    public void Dispose() => Http.Dispose();
}
