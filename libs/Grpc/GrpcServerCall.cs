using System.Diagnostics;
using Google.Protobuf;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace InferenceMesh.Grpc;

/// <summary>Runs one gRPC call on Kestrel: checks the request, sets up the deadline, and ends the call with trailers
/// (or trailers-only when nothing was sent yet).</summary>
internal static partial class GrpcServerCall
{
    public static async Task RunAsync(HttpContext context, Func<GrpcCallContext, Task> body)
    {
        var request = context.Request;
        var response = context.Response;
        if (!HttpMethods.IsPost(request.Method))
        {
            response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            return;
        }
        if (!GrpcProtocol.IsGrpcContentType(request.ContentType))
        {
            // PROTOCOL-HTTP2.md: a non-gRPC content type gets HTTP 415 so the caller sees it is not talking gRPC.
            response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            return;
        }
        if (!HttpProtocol.IsHttp2(request.Protocol))
        {
            response.StatusCode = StatusCodes.Status426UpgradeRequired;
            response.Headers.Connection = "Upgrade";
            response.Headers.Upgrade = "h2c";
            return;
        }

        // gRPC streams are long-lived and bodies can be large: lift Kestrel's per-request body limits.
        var sizeFeature = context.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (sizeFeature is { IsReadOnly: false })
            sizeFeature.MaxRequestBodySize = null;
        var rateFeature = context.Features.Get<IHttpMinRequestBodyDataRateFeature>();
        if (rateFeature is not null)
            rateFeature.MinDataRate = null;

        response.ContentType = GrpcProtocol.ContentType;
        var encoding = request.Headers[GrpcProtocol.EncodingHeader];
        if (encoding.Count > 0 && !string.Equals(encoding[0], "identity", StringComparison.Ordinal))
        {
            WriteStatus(context, GrpcStatusCode.Unimplemented, $"grpc-encoding '{encoding[0]}' is not supported");
            return;
        }

        TimeSpan? timeout = null;
        var timeoutHeader = request.Headers[GrpcProtocol.TimeoutHeader];
        if (timeoutHeader.Count > 0)
        {
            if (!GrpcTimeout.TryParse(timeoutHeader[0], out var t))
            {
                WriteStatus(context, GrpcStatusCode.InvalidArgument, $"malformed grpc-timeout '{timeoutHeader[0]}'");
                return;
            }
            timeout = t;
        }

        var time = context.RequestServices.GetService<TimeProvider>() ?? TimeProvider.System;
        using var deadline = timeout is { } d ? new CancellationTokenSource(d, time) : null;
        using var linked = deadline is null
            ? null
            : CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, deadline.Token);
        var token = linked?.Token ?? context.RequestAborted;
        var call = new GrpcCallContext(context, timeout, token);

        try
        {
            await body(call).ConfigureAwait(false);
            WriteStatus(context, GrpcStatusCode.Ok, null);
        }
        catch (GrpcException ex)
        {
            WriteStatus(context, ex.Status, ex.Message);
        }
        catch (OperationCanceledException) when (deadline is { IsCancellationRequested: true } && !context.RequestAborted.IsCancellationRequested)
        {
            WriteStatus(context, GrpcStatusCode.DeadlineExceeded, "deadline exceeded");
        }
        catch (Exception) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client reset the stream: nobody is left to read a status.
        }
        catch (InvalidProtocolBufferException ex)
        {
            WriteStatus(context, GrpcStatusCode.Internal, "malformed message: " + ex.Message);
        }
        catch (Exception ex)
        {
            var logger = context.RequestServices.GetService<ILoggerFactory>()?.CreateLogger("InferenceMesh.Grpc");
            if (logger is not null)
                LogUnhandled(logger, request.Path.Value ?? "", ex);
            WriteStatus(context, GrpcStatusCode.Unknown, "internal error: " + ex.GetType().Name);
        }
    }

    /// <summary>Ends the call: trailers when the response has started, else a trailers-only response.</summary>
    public static void WriteStatus(HttpContext context, GrpcStatusCode status, string? message)
    {
        var response = context.Response;
        var code = ((int)status).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var encoded = string.IsNullOrEmpty(message) ? null : GrpcPercentEncoding.Encode(message);
        if (!response.HasStarted)
        {
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = GrpcProtocol.ContentType;
            response.Headers[GrpcProtocol.StatusHeader] = code;
            if (encoded is not null)
                response.Headers[GrpcProtocol.MessageHeader] = encoded;
            return;
        }
        if (!response.SupportsTrailers())
        {
            Debug.Fail("HTTP/2 responses support trailers");
            return;
        }
        response.AppendTrailer(GrpcProtocol.StatusHeader, code);
        if (encoded is not null)
            response.AppendTrailer(GrpcProtocol.MessageHeader, encoded);
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Error, Message = "gRPC call {Path} failed")]
    private static partial void LogUnhandled(ILogger logger, string path, Exception exception);
}
