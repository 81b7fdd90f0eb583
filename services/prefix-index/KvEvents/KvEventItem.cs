namespace InferenceMesh.PrefixIndex.KvEvents;

/// <summary>Work for the consumer's single writer loop: a batch from a publisher's PUB or replay socket, a replay that
/// timed out, or the lease tick.</summary>
internal readonly record struct KvEventItem(KvEventItemKind Kind, EndpointSubscription? Source, long Sequence, byte[]? Payload);

internal enum KvEventItemKind
{
    Live,
    Replay,
    ReplayTimeout,
    Tick,
}
