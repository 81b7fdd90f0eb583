using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace InferenceMesh.Dapr;

/// <summary>The app side of Dapr: declared subscriptions, <c>GET /dapr/subscribe</c>, CloudEvent deliveries and the app token.</summary>
public static class DaprAppEndpoints
{
    /// <summary>Declares a subscription and maps its delivery route (POST); the handler's result becomes <c>{"status":"SUCCESS|RETRY|DROP"}</c>.</summary>
    public static IEndpointConventionBuilder MapSubscription<T>(this IEndpointRouteBuilder app, string pubsubName, string topic, string route,
        JsonTypeInfo<T> typeInfo, Func<TopicEvent<T>, CancellationToken, ValueTask<TopicResult>> handler, SubscriptionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(app);
        var subscription = DaprSubscription.Create(pubsubName, topic, route, typeInfo, handler, options);
        Registry(app).Add(subscription);
        var token = AppToken(app.ServiceProvider);
        var logger = app.ServiceProvider.GetService<ILoggerFactory>()?.CreateLogger(typeof(DaprAppEndpoints).FullName!) ?? NullLogger.Instance;
        return app.MapPost(subscription.Route, context => DeliverAsync(context, subscription, token, logger));
    }

    /// <summary>Maps <c>GET /dapr/subscribe</c>, answering the subscriptions declared with <see cref="MapSubscription{T}"/>.</summary>
    public static IEndpointConventionBuilder MapDaprSubscribe(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var registry = Registry(app);
        var token = AppToken(app.ServiceProvider);
        return app.MapGet("/dapr/subscribe", async context =>
        {
            if (!DaprAppToken.IsAuthorized(context.Request, token))
            {
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                return;
            }
            var buffer = new ArrayBufferWriter<byte>(512);
            using (var writer = new Utf8JsonWriter(buffer))
                WriteSubscriptions(writer, registry.Subscriptions);
            context.Response.ContentType = "application/json";
            await context.Response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted).ConfigureAwait(false);
        });
    }

    /// <summary>Requires the sidecar's <c>dapr-api-token</c> on these endpoints when an app token is configured (401 otherwise).</summary>
    public static TBuilder RequireDaprAppToken<TBuilder>(this TBuilder builder, IServiceProvider services)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(services);
        var token = AppToken(services);
        builder.AddEndpointFilter(async (context, next) =>
            DaprAppToken.IsAuthorized(context.HttpContext.Request, token) ? await next(context).ConfigureAwait(false) : Results.Unauthorized());
        return builder;
    }

    internal static void WriteSubscriptions(Utf8JsonWriter writer, IReadOnlyList<DaprSubscription> subscriptions)
    {
        writer.WriteStartArray();
        foreach (var s in subscriptions)
        {
            writer.WriteStartObject();
            writer.WriteString("pubsubname"u8, s.PubSubName);
            writer.WriteString("topic"u8, s.Topic);
            writer.WriteString("route"u8, s.Route);
            if (s.Metadata.Count > 0)
            {
                writer.WriteStartObject("metadata"u8);
                foreach (var (k, v) in s.Metadata)
                    writer.WriteString(k, v);
                writer.WriteEndObject();
            }
            if (s.DeadLetterTopic is not null)
                writer.WriteString("deadLetterTopic"u8, s.DeadLetterTopic);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
    }

    private static async Task DeliverAsync(HttpContext context, DaprSubscription subscription, string? token, ILogger logger)
    {
        if (!DaprAppToken.IsAuthorized(context.Request, token))
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            return;
        }
        var body = await ReadBodyAsync(context.Request, context.RequestAborted).ConfigureAwait(false);
        TopicResult result;
        if (!CloudEventReader.TryRead(body, subscription.Topic, subscription.PubSubName, out var data, out var info))
        {
            DaprLog.UnreadableDelivery(logger, subscription.PubSubName, subscription.Topic);
            result = TopicResult.Drop;
        }
        else
        {
            try
            {
                result = await subscription.DeliverJsonAsync(data, info, context.RequestAborted).ConfigureAwait(false);
                if (result == TopicResult.Drop)
                    DaprLog.Dropped(logger, subscription.PubSubName, subscription.Topic, info.Id);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !context.RequestAborted.IsCancellationRequested)
            {
                DaprLog.HandlerFailed(logger, ex, subscription.PubSubName, subscription.Topic, info.Id);
                result = TopicResult.Retry;
            }
        }
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json";
        await context.Response.Body.WriteAsync(StatusBody(result), context.RequestAborted).ConfigureAwait(false);
    }

    internal static ReadOnlyMemory<byte> StatusBody(TopicResult result) => result switch
    {
        TopicResult.Success => """{"status":"SUCCESS"}"""u8.ToArray(),
        TopicResult.Retry => """{"status":"RETRY"}"""u8.ToArray(),
        _ => """{"status":"DROP"}"""u8.ToArray(),
    };

    private static async Task<ReadOnlyMemory<byte>> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        using var stream = new MemoryStream(request.ContentLength is > 0 and < int.MaxValue ? (int)request.ContentLength.Value : 1024);
        await request.Body.CopyToAsync(stream, cancellationToken).ConfigureAwait(false);
        return stream.GetBuffer().AsMemory(0, (int)stream.Length);
    }

    private static DaprSubscriptionRegistry Registry(IEndpointRouteBuilder app) =>
        app.ServiceProvider.GetService<DaprSubscriptionRegistry>()
        ?? throw new InvalidOperationException("No DaprSubscriptionRegistry: call builder.AddDaprClient() (or AddInMemoryEventBus) before mapping subscriptions.");

    private static string? AppToken(IServiceProvider services) =>
        services.GetService<IOptions<DaprClientOptions>>()?.Value.AppApiToken
        ?? DaprClientOptions.FromEnvironment().AppApiToken;
}
