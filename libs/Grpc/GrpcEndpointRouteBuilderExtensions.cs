using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace InferenceMesh.Grpc;

/// <summary>Maps gRPC methods as POST endpoints at <c>/package.Service/Method</c>.</summary>
public static class GrpcEndpointRouteBuilderExtensions
{
    /// <summary>A unary method.</summary>
    public static IEndpointConventionBuilder MapGrpcUnary<TRequest, TResponse>(
        this IEndpointRouteBuilder endpoints,
        string path,
        MessageParser<TRequest> parser,
        Func<TRequest, GrpcCallContext, ValueTask<TResponse>> handler)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        return endpoints.Map(path, context => GrpcServerCall.RunAsync(context, async call =>
        {
            var reader = new GrpcMessageReader<TRequest>(context.Request.BodyReader, parser);
            var request = await reader.ReadAsync(call.CancellationToken).ConfigureAwait(false)
                ?? throw new GrpcException(GrpcStatusCode.Internal, "unary call without a request message");
            if (await reader.ReadAsync(call.CancellationToken).ConfigureAwait(false) is not null)
                throw new GrpcException(GrpcStatusCode.Internal, "unary call with more than one request message");
            var response = await handler(request, call).ConfigureAwait(false);
            await CreateWriter<TResponse>(context).WriteAsync(response, call.CancellationToken).ConfigureAwait(false);
        }));
    }

    /// <summary>A server-streaming method.</summary>
    public static IEndpointConventionBuilder MapGrpcServerStreaming<TRequest, TResponse>(
        this IEndpointRouteBuilder endpoints,
        string path,
        MessageParser<TRequest> parser,
        Func<TRequest, GrpcMessageWriter<TResponse>, GrpcCallContext, Task> handler)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        return endpoints.Map(path, context => GrpcServerCall.RunAsync(context, async call =>
        {
            var reader = new GrpcMessageReader<TRequest>(context.Request.BodyReader, parser);
            var request = await reader.ReadAsync(call.CancellationToken).ConfigureAwait(false)
                ?? throw new GrpcException(GrpcStatusCode.Internal, "server-streaming call without a request message");
            await handler(request, CreateWriter<TResponse>(context), call).ConfigureAwait(false);
        }));
    }

    /// <summary>A bidirectional streaming method: the handler reads requests while it writes responses.
    /// Response headers go out at once so the client can start reading before the first message.</summary>
    public static IEndpointConventionBuilder MapGrpcDuplex<TRequest, TResponse>(
        this IEndpointRouteBuilder endpoints,
        string path,
        MessageParser<TRequest> parser,
        Func<GrpcMessageReader<TRequest>, GrpcMessageWriter<TResponse>, GrpcCallContext, Task> handler,
        int maxMessageSize = GrpcProtocol.DefaultMaxMessageSize)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse>
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        return endpoints.Map(path, context => GrpcServerCall.RunAsync(context, async call =>
        {
            await context.Response.BodyWriter.FlushAsync(call.CancellationToken).ConfigureAwait(false);
            var reader = new GrpcMessageReader<TRequest>(context.Request.BodyReader, parser, maxMessageSize);
            await handler(reader, CreateWriter<TResponse>(context), call).ConfigureAwait(false);
        }));
    }

    /// <summary>Answers gRPC requests to unknown methods with UNIMPLEMENTED (trailers-only); other unmatched requests get 404.</summary>
    public static IEndpointConventionBuilder MapGrpcUnimplemented(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        return endpoints.MapFallback(context =>
        {
            if (!GrpcProtocol.IsGrpcContentType(context.Request.ContentType))
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            }
            GrpcServerCall.WriteStatus(context, GrpcStatusCode.Unimplemented, $"method {context.Request.Path} is not implemented");
            return Task.CompletedTask;
        });
    }

    private static GrpcMessageWriter<T> CreateWriter<T>(HttpContext context)
        where T : class, IMessage<T> => new(context.Response.BodyWriter);
}
