namespace InferenceMesh.Scheduling;

/// <summary>Where this replica last sent each prompt group (the chained hash of a prompt's first <see cref="GroupBlocks"/>
/// blocks names the whole prefix up to there): a direct-mapped table of fixed size, so recording and looking up allocate
/// nothing. The prefix match is made once, when a request arrives; under overload it then waits in the queue while
/// requests of its group are dispatched, and its match misses all of them — a burst of questions on one document, queued
/// together, would otherwise spread over every server (docs/benchmarks/goodput.md). At dispatch the pick credits the
/// endpoint this table names with the group's blocks when the match gave it fewer.</summary>
internal sealed class RecentPlacements
{
    /// <summary>Blocks that make a group (4,096 tokens of 16): long enough that a prefix shared by every request (a system
    /// prompt, tool definitions) does not make one group of everything, short enough to hold a document or a conversation's head.</summary>
    public const int GroupBlocks = 256;

    private const int Slots = 4096;
    private readonly ulong[] _keys = new ulong[Slots];
    private readonly EndpointState?[] _endpoints = new EndpointState?[Slots];

    /// <summary>The group key of a prompt, or 0 when it is shorter than a group.</summary>
    public static ulong KeyOf(IReadOnlyList<ulong>? hashes) =>
        hashes is { Count: >= GroupBlocks } ? hashes[GroupBlocks - 1] | 1UL : 0;

    /// <summary>The endpoint the group was last sent to, or null.</summary>
    public EndpointState? Find(ulong key)
    {
        if (key == 0)
            return null;
        var slot = (int)(key % Slots);
        return _keys[slot] == key ? _endpoints[slot] : null;
    }

    public void Record(ulong key, EndpointState endpoint)
    {
        if (key == 0)
            return;
        var slot = (int)(key % Slots);
        _keys[slot] = key;
        _endpoints[slot] = endpoint;
    }
}

/// <summary>Marks a plugin that wants the pick to credit the group's recent endpoint (<see cref="RecentPlacements"/>); a
/// profile without one (e.g. the reference picker's) sees the prefix match alone.</summary>
internal interface IUsesGroupHome
{
}
