using Google.Protobuf;

namespace InferenceMesh.Grpc;

/// <summary>HttpClient plumbing for gRPC over cleartext HTTP/2 (h2c with prior knowledge).</summary>
public static class GrpcClientFactory
{
    /// <summary>A handler that multiplexes calls on HTTP/2 connections, opening more when the server's stream limit is hit.</summary>
    public static HttpMessageInvoker CreateInvoker() => new(new SocketsHttpHandler
    {
        EnableMultipleHttp2Connections = true,
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
        KeepAlivePingDelay = TimeSpan.FromSeconds(30),
        KeepAlivePingTimeout = TimeSpan.FromSeconds(20),
        InitialHttp2StreamWindowSize = 1024 * 1024,
        AutomaticDecompression = System.Net.DecompressionMethods.None,
        UseProxy = false,
    });

    /// <summary>Starts a streaming call to <c>address + path</c>; write requests, read responses, dispose to end or reset it.</summary>
    public static GrpcDuplexCall<TRequest, TResponse> StartDuplex<TRequest, TResponse>(
        HttpMessageInvoker invoker,
        Uri address,
        string path,
        MessageParser<TResponse> parser,
        TimeSpan? timeout = null,
        IEnumerable<KeyValuePair<string, string>>? headers = null,
        CancellationToken cancellationToken = default)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse> =>
        GrpcDuplexCall<TRequest, TResponse>.Start(invoker, address, path, parser, timeout, headers, cancellationToken);

    /// <summary>One request, one response.</summary>
    public static async Task<TResponse> UnaryAsync<TRequest, TResponse>(
        HttpMessageInvoker invoker,
        Uri address,
        string path,
        TRequest request,
        MessageParser<TResponse> parser,
        TimeSpan? timeout = null,
        CancellationToken cancellationToken = default)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        var call = GrpcDuplexCall<TRequest, TResponse>.Start(invoker, address, path, parser, timeout, null, cancellationToken);
        await using (call.ConfigureAwait(false))
        {
            await call.WriteAsync(request, cancellationToken).ConfigureAwait(false);
            call.CompleteRequest();
            var response = await call.ReadAsync(cancellationToken).ConfigureAwait(false)
                ?? throw new GrpcException(GrpcStatusCode.Internal, "unary call ended without a response message");
            if (await call.ReadAsync(cancellationToken).ConfigureAwait(false) is not null)
                throw new GrpcException(GrpcStatusCode.Internal, "unary call returned more than one message");
            return response;
        }
    }
}
