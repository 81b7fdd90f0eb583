using System.Buffers;
using System.Net;
using System.Net.Sockets;
using InferenceMesh.Prometheus;

namespace InferenceMesh.MetricsCollector;

/// <summary>Scrapes one endpoint's <c>/metrics</c> every interval into its <see cref="EndpointState"/>. The response buffer is
/// pooled and reused across scrapes; each scrape is bounded by the scrape timeout.</summary>
internal sealed partial class EndpointScraper(
    EndpointState state,
    HttpClient http,
    CollectorOptions options,
    TimeProvider time,
    CollectorMetrics metrics,
    ILogger logger) : IDisposable
{
    private readonly Uri _uri = new($"http://{state.Endpoint.Address}/metrics");
    private readonly (bool Known, ModelServerEngine Engine) _engine = ParseEngine(state.Endpoint.Engine);
    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);

    public EndpointState State => state;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(options.ScrapeInterval, time);
        try
        {
            do
            {
                try
                {
                    await ScrapeOnceAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
                {
                    // Whatever went wrong, the loop must go on: a dead loop would leave the endpoint silently aging.
                    Fail(CollectorMetrics.ScrapeFailure.Error, ex.Message);
                }
            }
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopped: the endpoint left the pool or the host is shutting down.
        }
    }

    public async Task ScrapeOnceAsync(CancellationToken cancellationToken)
    {
        var address = state.Endpoint.Address;
        if (!_engine.Known)
        {
            Fail(CollectorMetrics.ScrapeFailure.Engine, $"unknown engine type '{state.Endpoint.Engine}' (label {Contracts.PoolAnnotations.EngineTypeLabel}: vllm, sglang or trtllm)");
            return;
        }
        var started = time.GetTimestamp();
        using var timeout = new CancellationTokenSource(options.ScrapeTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        int length;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, _uri);
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                Fail(CollectorMetrics.ScrapeFailure.Status, $"HTTP {(int)response.StatusCode} from {_uri}");
                return;
            }
            var stream = await response.Content.ReadAsStreamAsync(linked.Token).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                length = await ReadAllAsync(stream, linked.Token).ConfigureAwait(false);
            }
            if (length < 0)
            {
                Fail(CollectorMetrics.ScrapeFailure.TooLarge, $"exposition larger than {options.MaxResponseBytes} bytes");
                return;
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            Fail(CollectorMetrics.ScrapeFailure.Timeout, $"no complete response within {options.ScrapeTimeout.TotalMilliseconds:0} ms");
            return;
        }
        catch (HttpRequestException ex)
        {
            Fail(ex.InnerException is SocketException ? CollectorMetrics.ScrapeFailure.Connect : CollectorMetrics.ScrapeFailure.Http, ex.Message);
            return;
        }
        catch (IOException ex)
        {
            Fail(CollectorMetrics.ScrapeFailure.Http, ex.Message);
            return;
        }
        finally
        {
            metrics.ScrapeDone(time.GetElapsedTime(started).TotalSeconds);
        }

        if (!EngineMetricsReader.TryRead(_buffer.AsSpan(0, length), _engine.Engine, out var values, out var error))
        {
            Fail(CollectorMetrics.ScrapeFailure.Parse, error.Line > 0 ? $"malformed exposition: {error}" : error.Reason);
            return;
        }
        if (state.RecordSuccess(values, time.GetUtcNow().ToUnixTimeMilliseconds()))
            LogRecovered(logger, address, state.Endpoint.Pool);
    }

    /// <summary>Reads the body into the reused buffer, growing it as needed; -1 when over the size limit.</summary>
    private async Task<int> ReadAllAsync(Stream stream, CancellationToken cancellationToken)
    {
        var total = 0;
        while (true)
        {
            if (total == _buffer.Length)
            {
                if (_buffer.Length >= options.MaxResponseBytes)
                    return -1;
                var bigger = ArrayPool<byte>.Shared.Rent(Math.Min(_buffer.Length * 2, options.MaxResponseBytes));
                _buffer.AsSpan(0, total).CopyTo(bigger);
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = bigger;
            }
            var n = await stream.ReadAsync(_buffer.AsMemory(total), cancellationToken).ConfigureAwait(false);
            if (n == 0)
                return total;
            total += n;
        }
    }

    private void Fail(string reason, string message)
    {
        metrics.ScrapeFailed(state.Endpoint.Address, reason);
        // Log the first failure of a run only: at 20 scrapes a second, repeating it would drown the log.
        if (state.RecordFailure(message) == 1)
            LogFailing(logger, state.Endpoint.Address, state.Endpoint.Pool, message);
    }

    private static (bool, ModelServerEngine) ParseEngine(string label) =>
        (ModelServerEngines.TryParse(label, out var engine), engine);

    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, []);
        if (buffer.Length > 0)
            ArrayPool<byte>.Shared.Return(buffer);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Scrape of {Address} (pool {Pool}) failing: {Reason}")]
    private static partial void LogFailing(ILogger logger, string address, string pool, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Scrape of {Address} (pool {Pool}) recovered")]
    private static partial void LogRecovered(ILogger logger, string address, string pool);
}
