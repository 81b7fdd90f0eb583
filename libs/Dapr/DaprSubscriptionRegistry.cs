namespace InferenceMesh.Dapr;

/// <summary>The subscriptions this app declared; <c>GET /dapr/subscribe</c> and the in-memory bus read it.</summary>
public sealed class DaprSubscriptionRegistry
{
    private readonly Lock _gate = new();
    private readonly List<DaprSubscription> _subscriptions = [];

    /// <summary>A snapshot of the declared subscriptions, in declaration order.</summary>
    public IReadOnlyList<DaprSubscription> Subscriptions
    {
        get
        {
            lock (_gate)
                return [.. _subscriptions];
        }
    }

    /// <summary>Adds a subscription; a second one for the same pub/sub and topic is an error (Dapr allows one route per topic).</summary>
    public void Add(DaprSubscription subscription)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        lock (_gate)
        {
            foreach (var s in _subscriptions)
            {
                if (s.PubSubName == subscription.PubSubName && s.Topic == subscription.Topic)
                    throw new InvalidOperationException($"Topic '{subscription.Topic}' on '{subscription.PubSubName}' is already subscribed (route {s.Route}).");
            }
            _subscriptions.Add(subscription);
        }
    }
}
