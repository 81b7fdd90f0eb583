namespace InferenceMesh.DaprStandIn;

/// <summary>One stand-in plays one app replica's sidecar.</summary>
public sealed record DaprStandInOptions
{
    /// <summary>The app id the sidecar serves (state key prefix, default consumer group, CloudEvent source).</summary>
    public required string AppId { get; init; }

    /// <summary>The Redis behind every state store and pub/sub component (StackExchange.Redis configuration, e.g. <c>127.0.0.1:6379</c>).</summary>
    public required string Redis { get; init; }

    /// <summary>The app's HTTP address (app channel): subscriptions are read from it and deliveries posted to it; null = no app.</summary>
    public Uri? AppAddress { get; init; }

    /// <summary>Where other app ids are reached for service invocation.</summary>
    public IReadOnlyDictionary<string, Uri> AppAddresses { get; init; } = new Dictionary<string, Uri>();

    /// <summary>Name resolution for invocation when an app id has several replicas: every replica's address, asked on each
    /// call (so replicas started later are found). Calls round-robin over them, as Dapr's name resolution spreads calls
    /// over replicas; a replica that refuses the connection (the request never reached it) is skipped for the next one.
    /// Takes precedence over <see cref="AppAddresses"/> when it returns a non-empty list.</summary>
    public Func<string, IReadOnlyList<Uri>>? NameResolver { get; init; }

    /// <summary>State store component names (all state.redis on <see cref="Redis"/>).</summary>
    public IReadOnlyList<string> StateStores { get; init; } = ["statestore"];

    /// <summary>state.redis <c>keyPrefix</c>: <c>appid</c> (default, keys private to the app), <c>name</c> (the store name:
    /// shared by every app using the store), <c>none</c>, or a literal prefix.</summary>
    public string KeyPrefix { get; init; } = "appid";

    /// <summary>Pub/sub components; by default <c>pubsub</c> (competing) and <c>pubsub-fanout</c> (<c>{uuid}</c>).</summary>
    public IReadOnlyList<StandInPubSub> PubSubs { get; init; } = [new("pubsub"), new("pubsub-fanout", "{uuid}")];

    /// <summary>When set, calls to the API must carry it in <c>dapr-api-token</c> (DAPR_API_TOKEN).</summary>
    public string? ApiToken { get; init; }

    /// <summary>When set, sent to the app in <c>dapr-api-token</c> (APP_API_TOKEN).</summary>
    public string? AppApiToken { get; init; }

    /// <summary>How often pending (unacknowledged) messages are looked at for redelivery (pubsub.redis <c>redeliverInterval</c>).</summary>
    public TimeSpan RedeliverInterval { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>How long a delivered message may stay unacknowledged before it is redelivered (<c>processingTimeout</c>).</summary>
    public TimeSpan ProcessingTimeout { get; init; } = TimeSpan.FromMilliseconds(300);

    /// <summary>HTTP port (0 = a free one); set it to start a sidecar where an app already expects one.</summary>
    public int HttpPort { get; init; }

    /// <summary>gRPC port (0 = a free one).</summary>
    public int GrpcPort { get; init; }

    /// <summary>How long a consumer waits before reading an idle stream again.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(10);
}
