using InferenceMesh.Contracts;

namespace InferenceMesh.Scheduler.Tests;

/// <summary>A prefix index answering fixed matches (or failing), recording what it was asked.</summary>
internal sealed class FakePrefixIndex : IPrefixIndexService
{
    public Dictionary<string, int> Matches { get; } = new();
    public bool Fail { get; set; }
    public int Calls { get; private set; }
    public IReadOnlyList<string>? LastCandidates { get; private set; }
    public string? LastModel { get; private set; }

    public ValueTask<PrefixMatchResponse> MatchAsync(PrefixMatchRequest request, CancellationToken cancellationToken)
    {
        Calls++;
        LastCandidates = [.. request.Candidates];
        LastModel = request.Model;
        if (Fail)
            throw new InvalidOperationException("index down");
        var m = new Dictionary<string, int>();
        foreach (var c in request.Candidates)
        {
            if (Matches.TryGetValue(c, out var n))
                m[c] = Math.Min(n, request.BlockHashes.Count);
        }
        return ValueTask.FromResult(new PrefixMatchResponse(m, request.BlockHashes.Count));
    }

    public ValueTask RecordAsync(PrefixRecordRequest request, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask<PrefixMatchResponse> MatchAndRecordAsync(PrefixMatchAndRecordRequest request, CancellationToken cancellationToken) =>
        MatchAsync(new PrefixMatchRequest(request.Model, request.BlockHashes, request.Candidates), cancellationToken);
}
