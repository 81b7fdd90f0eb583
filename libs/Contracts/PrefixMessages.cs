namespace InferenceMesh.Contracts;

/// <summary>Ask which candidates hold how many leading blocks of a hash chain.</summary>
public sealed record PrefixMatchRequest(string Model, IReadOnlyList<ulong> BlockHashes, IReadOnlyList<string> Candidates);

/// <summary>Leading matched blocks per candidate endpoint (candidates with no match are left out).</summary>
public sealed record PrefixMatchResponse(IReadOnlyDictionary<string, int> Matches, int TotalBlocks);

/// <summary>Mark an endpoint as holding a hash chain.</summary>
public sealed record PrefixRecordRequest(string Model, string Endpoint, IReadOnlyList<ulong> BlockHashes);

/// <summary>Match against candidates, then record the chain for the chosen endpoint, in one call.</summary>
public sealed record PrefixMatchAndRecordRequest(string Model, IReadOnlyList<ulong> BlockHashes, IReadOnlyList<string> Candidates, string Endpoint);
