using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Threading.Channels;
using InferenceMesh.Contracts;
using InferenceMesh.ServiceDefaults;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace InferenceMesh.Dapr;

/// <summary>In-process pub/sub for the embedded mode, with Dapr's delivery semantics: every consumer group gets each
/// message once, members of one group compete (round-robin), RETRY redelivers, DROP discards. Delivery is asynchronous
/// and ordered per group.</summary>
public sealed class InMemoryEventBus : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<(string PubSub, string Topic), List<Group>> _topics = [];
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stopping = new();
    private long _nextId;

    public InMemoryEventBus(ILogger<InMemoryEventBus>? logger = null, TimeProvider? timeProvider = null)
    {
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Deliveries of one message to one group before it is dropped (RETRY or handler failure counts as a try).</summary>
    public int MaxAttempts { get; init; } = 5;

    /// <summary>Wait before a redelivery.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Adds <paramref name="subscription"/> as a member of <paramref name="consumerGroup"/> for its pub/sub and topic; dispose to leave.</summary>
    public IDisposable Subscribe(DaprSubscription subscription, string consumerGroup)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        ArgumentException.ThrowIfNullOrEmpty(consumerGroup);
        Group group;
        lock (_gate)
        {
            var key = (subscription.PubSubName, subscription.Topic);
            if (!_topics.TryGetValue(key, out var groups))
                _topics[key] = groups = [];
            group = groups.Find(g => g.Name == consumerGroup) ?? AddGroup(groups, consumerGroup, subscription);
            group.Add(subscription);
        }
        return new Membership(this, subscription, group);
    }

    /// <summary>Subscribes every subscription of <paramref name="registry"/>: on <see cref="DaprNames.FanOutPubSub"/> the group is the
    /// replica id (every replica receives), elsewhere the app id (replicas compete) — as the Dapr components are configured.</summary>
    public IDisposable Attach(DaprSubscriptionRegistry registry, ServiceIdentity identity)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(identity);
        var memberships = new List<IDisposable>();
        foreach (var s in registry.Subscriptions)
            memberships.Add(Subscribe(s, s.PubSubName == DaprNames.FanOutPubSub ? identity.ReplicaId : identity.AppId));
        return new CompositeDisposable(memberships);
    }

    /// <summary>Queues <paramref name="data"/> for every group subscribed to the topic; messages to topics nobody subscribes are discarded, like a stream nobody reads.</summary>
    public ValueTask PublishAsync<T>(string pubsubName, string topic, T data, JsonTypeInfo<T> typeInfo, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(pubsubName);
        ArgumentException.ThrowIfNullOrEmpty(topic);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(typeInfo);
        cancellationToken.ThrowIfCancellationRequested();
        Group[] targets;
        lock (_gate)
        {
            if (!_topics.TryGetValue((pubsubName, topic), out var groups) || groups.Count == 0)
                return ValueTask.CompletedTask;
            targets = [.. groups];
        }
        var message = new Message(data, typeInfo, Interlocked.Increment(ref _nextId).ToString(System.Globalization.CultureInfo.InvariantCulture));
        foreach (var group in targets)
            group.Queue.Writer.TryWrite(message);
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        Task[] pumps;
        lock (_gate)
        {
            var all = new List<Task>();
            foreach (var groups in _topics.Values)
            {
                foreach (var g in groups)
                {
                    g.Queue.Writer.TryComplete();
                    all.Add(g.Pump);
                }
            }
            pumps = [.. all];
        }
        try
        {
            await Task.WhenAll(pumps).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopping: undelivered messages are abandoned, as with a stopped broker.
        }
        _stopping.Dispose();
    }

    private Group AddGroup(List<Group> groups, string name, DaprSubscription first)
    {
        var group = new Group(name, first.PubSubName, first.Topic);
        groups.Add(group);
        group.Pump = Task.Run(() => PumpAsync(group));
        return group;
    }

    private void Leave(DaprSubscription subscription, Group group)
    {
        lock (_gate)
        {
            group.Remove(subscription);
            if (group.MemberCount == 0 && _topics.TryGetValue((group.PubSub, group.Topic), out var groups))
            {
                groups.Remove(group);
                group.Queue.Writer.TryComplete();
            }
        }
    }

    private async Task PumpAsync(Group group)
    {
        var token = _stopping.Token;
        await foreach (var message in group.Queue.Reader.ReadAllAsync(token).ConfigureAwait(false))
        {
            for (var attempt = 1; ; attempt++)
            {
                var member = group.Next();
                if (member is null)
                    break;
                TopicResult result;
                try
                {
                    result = member.DataType == message.Data.GetType()
                        ? await member.DeliverObjectAsync(message.Data, token).ConfigureAwait(false)
                        : await member.DeliverJsonAsync(message.Json(), token).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !token.IsCancellationRequested)
                {
                    DaprLog.InMemoryHandlerFailed(_logger, ex, group.PubSub, group.Topic, group.Name, message.Id);
                    result = TopicResult.Retry;
                }
                if (result == TopicResult.Drop)
                {
                    DaprLog.Dropped(_logger, group.PubSub, group.Topic, message.Id);
                    break;
                }
                if (result == TopicResult.Success)
                    break;
                if (attempt >= MaxAttempts)
                {
                    DaprLog.InMemoryGaveUp(_logger, group.PubSub, group.Topic, group.Name, message.Id, attempt);
                    break;
                }
                await Task.Delay(RetryDelay, _time, token).ConfigureAwait(false);
            }
        }
    }

    private sealed class Message(object data, JsonTypeInfo typeInfo, string id)
    {
        private byte[]? _json;

        public object Data { get; } = data;

        public string Id { get; } = id;

        public ReadOnlyMemory<byte> Json() => _json ??= JsonSerializer.SerializeToUtf8Bytes(Data, typeInfo);
    }

    private sealed class Group(string name, string pubSub, string topic)
    {
        private readonly Lock _gate = new();
        private readonly List<DaprSubscription> _members = [];
        private int _next;

        public string Name { get; } = name;

        public string PubSub { get; } = pubSub;

        public string Topic { get; } = topic;

        public Channel<Message> Queue { get; } = Channel.CreateUnbounded<Message>(new UnboundedChannelOptions { SingleReader = true });

        public Task Pump { get; set; } = Task.CompletedTask;

        public int MemberCount
        {
            get
            {
                lock (_gate)
                    return _members.Count;
            }
        }

        public void Add(DaprSubscription s)
        {
            lock (_gate)
                _members.Add(s);
        }

        public void Remove(DaprSubscription s)
        {
            lock (_gate)
                _members.Remove(s);
        }

        public DaprSubscription? Next()
        {
            lock (_gate)
            {
                if (_members.Count == 0)
                    return null;
                _next = (_next + 1) % _members.Count;
                return _members[_next];
            }
        }
    }

    private sealed class Membership(InMemoryEventBus bus, DaprSubscription subscription, Group group) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
                bus.Leave(subscription, group);
        }
    }

    private sealed class CompositeDisposable(List<IDisposable> items) : IDisposable
    {
        public void Dispose()
        {
            foreach (var item in items)
                item.Dispose();
        }
    }
}
