using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace InferenceMesh.Dapr;

/// <summary>The app side of Dapr through Dapr.AspNetCore: topic routes declared with <c>WithTopic</c>, CloudEvents unwrapped
/// by <c>UseCloudEvents</c>, <c>GET /dapr/subscribe</c> from <c>MapSubscribeHandler</c>, and the app token.</summary>
public static class DaprSubscriptionEndpoints
{
    private static readonly byte[] Success = """{"status":"SUCCESS"}"""u8.ToArray();
    private static readonly byte[] Retry = """{"status":"RETRY"}"""u8.ToArray();
    private static readonly byte[] Drop = """{"status":"DROP"}"""u8.ToArray();

    /// <summary>Maps the delivery route of a subscription (POST, <c>WithTopic</c>); the handler's result becomes
    /// <c>{"status":"SUCCESS|RETRY|DROP"}</c>, a payload that is not <typeparamref name="T"/> is dropped, a handler that
    /// throws asks for redelivery.</summary>
    public static IEndpointConventionBuilder MapSubscription<T>(this IEndpointRouteBuilder app, string pubsubName, string topic, string route,
        JsonTypeInfo<T> typeInfo, Func<T, CancellationToken, ValueTask<TopicResult>> handler)
    {
        ArgumentNullException.ThrowIfNull(app);
        var subscription = DaprSubscription.Create(pubsubName, topic, route, typeInfo, handler);
        var registry = app.ServiceProvider.GetService<DaprSubscriptionRegistry>()
            ?? throw new InvalidOperationException("No DaprSubscriptionRegistry: call AddDaprSidecar() (or AddInMemoryEventBus) before mapping subscriptions.");
        registry.Add(subscription);
        var logger = app.ServiceProvider.GetService<ILoggerFactory>()?.CreateLogger(typeof(DaprSubscriptionEndpoints).FullName!) ?? NullLogger.Instance;
        return app.MapPost(subscription.Route, (HttpContext context) => DeliverAsync(context, subscription, logger))
            .WithTopic(pubsubName, topic)
            .RequireDaprAppToken(app.ServiceProvider);
    }

    /// <summary>Unwraps CloudEvents for the topic routes (<c>UseCloudEvents</c>) and maps <c>GET /dapr/subscribe</c>
    /// (<c>MapSubscribeHandler</c>). Call once, after the subscriptions.</summary>
    public static IEndpointRouteBuilder MapDaprSubscribeHandler(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (app is IApplicationBuilder pipeline)
            pipeline.UseCloudEvents();
        app.MapSubscribeHandler().RequireDaprAppToken(app.ServiceProvider);
        return app;
    }

    /// <summary>Requires the sidecar's <c>dapr-api-token</c> on these endpoints when <c>APP_API_TOKEN</c> is configured (401 otherwise).</summary>
    public static TBuilder RequireDaprAppToken<TBuilder>(this TBuilder builder, IServiceProvider services)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(services);
        return DaprSidecarSettings.AppApiToken(services.GetRequiredService<IConfiguration>()) is null
            ? builder
            : builder.RequireAuthorization(DaprHostingExtensions.AppTokenPolicy);
    }

    private static async Task DeliverAsync(HttpContext context, DaprSubscription subscription, ILogger logger)
    {
        var body = await ReadBodyAsync(context.Request, context.RequestAborted).ConfigureAwait(false);
        TopicResult result;
        try
        {
            result = await subscription.DeliverJsonAsync(body, context.RequestAborted).ConfigureAwait(false);
            if (result == TopicResult.Drop)
                DaprLog.UnreadableOrDropped(logger, subscription.PubSubName, subscription.Topic);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !context.RequestAborted.IsCancellationRequested)
        {
            DaprLog.HandlerFailed(logger, ex, subscription.PubSubName, subscription.Topic);
            result = TopicResult.Retry;
        }
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(result switch
        {
            TopicResult.Success => Success,
            TopicResult.Retry => Retry,
            _ => Drop,
        }, context.RequestAborted).ConfigureAwait(false);
    }

    private static async Task<ReadOnlyMemory<byte>> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        using var stream = new MemoryStream(request.ContentLength is > 0 and < int.MaxValue ? (int)request.ContentLength.Value : 1024);
        await request.Body.CopyToAsync(stream, cancellationToken).ConfigureAwait(false);
        return stream.GetBuffer().AsMemory(0, (int)stream.Length);
    }
}
