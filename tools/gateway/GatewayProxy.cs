using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Runtime.CompilerServices;
using InferenceMesh.Grpc.Envoy.Service.ExtProc.V3;
using Microsoft.Extensions.Options;
using RpcException = Grpc.Core.RpcException;
using StatusCode = Grpc.Core.StatusCode;

namespace InferenceMesh.Gateway;

/// <summary>Plays Envoy's part for one HTTP request: the ext_proc filter in FULL_DUPLEX_STREAMED mode (headers, body
/// chunks, response headers and body all through the picker), then an ORIGINAL_DST-style forward to the endpoint the
/// picker put in <c>x-gateway-destination-endpoint</c>. Like Envoy with failure_mode_allow=false, a failed ext_proc
/// call is a 500 and nothing is forwarded without a decision. This file: route selection and the replica retry; the
/// request and response legs are in GatewayProxy.Request.cs and GatewayProxy.Response.cs.</summary>
internal sealed partial class GatewayProxy : IDisposable
{
    private const string Peer = "ext_proc";

    private readonly GatewayOptions _options;
    private readonly ExtProcReplicas _extProc;
    private readonly HttpMessageInvoker _upstream;
    private readonly ILogger<GatewayProxy> _logger;
    private readonly GatewayRouter _router;

    public GatewayProxy(IOptions<GatewayOptions> options, ILogger<GatewayProxy> logger, GatewayRouter router)
    {
        _options = options.Value;
        _router = router;
        _logger = logger;
        _extProc = new ExtProcReplicas(_options.ExtProcAddresses.Count > 0 ? _options.ExtProcAddresses : [_options.ExtProcAddress]);
        _upstream = new HttpMessageInvoker(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2),
            ConnectTimeout = TimeSpan.FromSeconds(10),
        });
    }

    public void Dispose()
    {
        _extProc.Dispose();
        _upstream.Dispose();
    }

    public async Task HandleAsync(HttpContext context)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        timeout.CancelAfter(TimeSpan.FromSeconds(_options.RequestTimeoutSeconds));
        var ct = timeout.Token;
        var first = _extProc.First();
        var defaultPicker = _extProc.For(first, 0);
        var picker = _router.Enabled ? await RouteAsync(context, defaultPicker, ct).ConfigureAwait(false) : defaultPicker;
        if (picker is null)
            return;
        // With replicas to retry on, the body is kept so a second stream can be sent the same request (Envoy buffers it
        // too). A route's own picker is one address: only the default pool's replicas are retried.
        var retries = _extProc.Count > 1 && ReferenceEquals(picker, defaultPicker) ? _options.ExtProcRetries : 0;
        var body = retries > 0 ? await BufferBodyAsync(context.Request, ct).ConfigureAwait(false) : null;
        for (var attempt = 0; ; attempt++)
        {
            var forwarded = new StrongBox<bool>();
            // Disposing the call resets the ext_proc stream if it is still open, which frees the picker's accounting.
            using var call = (attempt == 0 ? picker : _extProc.For(first, attempt)).Process(cancellationToken: ct);
            try
            {
                await ProxyAsync(context, call, body is null ? context.Request.BodyReader : PipeReader.Create(body.Value), forwarded, ct).ConfigureAwait(false);
                return;
            }
            catch (RpcException ex) when (attempt < retries && !forwarded.Value && !context.RequestAborted.IsCancellationRequested && Retriable(ex.StatusCode))
            {
                LogExtProcRetried(_logger, ex.StatusCode, attempt + 1);
            }
            catch (RpcException ex) when (!context.RequestAborted.IsCancellationRequested)
            {
                LogExtProcFailed(_logger, ex.StatusCode, ex.Status.Detail);
                await GatewayResponses.FailAsync(context, StatusCodes.Status500InternalServerError, "ext_proc failed: " + ex.Status.Detail).ConfigureAwait(false);
                return;
            }
            catch (HttpRequestException ex) when (!context.RequestAborted.IsCancellationRequested)
            {
                LogTransportFailed(_logger, ex);
                await GatewayResponses.FailAsync(context, StatusCodes.Status503ServiceUnavailable, "upstream connect error or disconnect/reset before headers: " + ex.Message).ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (context.RequestAborted.IsCancellationRequested && ex is OperationCanceledException or RpcException or IOException)
            {
                // The client left; disposing the call resets the ext_proc stream, which frees the picker's accounting.
                return;
            }
        }
    }

    /// <summary>The body router and the route's picker (docs/body-routing.md); null = already answered.</summary>
    private async Task<ExternalProcessor.ExternalProcessorClient?> RouteAsync(HttpContext context, ExternalProcessor.ExternalProcessorClient defaultPicker, CancellationToken ct)
    {
        try
        {
            return await _router.RouteAsync(context, defaultPicker, ct).ConfigureAwait(false);
        }
        catch (RpcException ex) when (!context.RequestAborted.IsCancellationRequested)
        {
            LogExtProcFailed(_logger, ex.StatusCode, ex.Status.Detail);
            await GatewayResponses.FailAsync(context, StatusCodes.Status500InternalServerError, "body router failed: " + ex.Status.Detail).ConfigureAwait(false);
            return null;
        }
        catch (Exception ex) when (context.RequestAborted.IsCancellationRequested && ex is OperationCanceledException or RpcException or IOException)
        {
            return null;
        }
    }

    /// <summary>Envoy's <c>retry_on: unavailable,reset,connect-failure</c>: the replica died or could not be reached.</summary>
    private static bool Retriable(StatusCode status) => status is StatusCode.Unavailable or StatusCode.Internal or StatusCode.Unknown;

    private static async Task<ReadOnlySequence<byte>?> BufferBodyAsync(HttpRequest request, CancellationToken ct)
    {
        using var copy = new MemoryStream();
        await request.Body.CopyToAsync(copy, ct).ConfigureAwait(false);
        return new ReadOnlySequence<byte>(copy.ToArray());
    }
}
