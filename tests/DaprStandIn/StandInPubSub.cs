namespace InferenceMesh.DaprStandIn;

/// <summary>A pubsub.redis component as the stand-in plays it.</summary>
/// <param name="Name">Component name (<c>pubsub</c>, <c>pubsub-fanout</c>).</param>
/// <param name="ConsumerId">Consumer group: null = app id (replicas compete); <c>{uuid}</c> = unique per stand-in (fan-out); <c>{appid}</c>; or a literal.</param>
/// <param name="MaxLenApprox">XADD MAXLEN ~ bound; 0 = unbounded.</param>
public sealed record StandInPubSub(string Name, string? ConsumerId = null, int MaxLenApprox = 10_000);
