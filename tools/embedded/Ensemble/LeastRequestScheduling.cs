using InferenceMesh.Contracts;

namespace InferenceMesh.Embedded.Ensemble;

/// <summary>
/// The baseline picker plugged into the real ext-proc in place of the scheduler: the endpoint with the fewest requests this
/// picker has outstanding (Envoy's LEAST_REQUEST with full knowledge of its own traffic), ties broken by a seeded random.
/// It never queues or sheds, as Envoy does not.
/// </summary>
internal sealed class LeastRequestScheduling : ISchedulingService
{
    private readonly Lock _gate = new();
    private readonly string[] _endpoints;
    private readonly int[] _outstanding;
    private readonly Dictionary<string, int> _byRequest = new(StringComparer.Ordinal);
    private readonly Random _random;

    public LeastRequestScheduling(IReadOnlyList<string> endpoints, int seed)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        if (endpoints.Count == 0)
            throw new ArgumentException("at least one endpoint is needed", nameof(endpoints));
        _endpoints = [.. endpoints];
        _outstanding = new int[_endpoints.Length];
        _random = new Random(seed);
    }

    public ValueTask<ScheduleResponse> ScheduleAsync(ScheduleRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        int pick;
        lock (_gate)
        {
            pick = -1;
            var ties = 0;
            for (var i = 0; i < _endpoints.Length; i++)
            {
                if (request.Subset.Count > 0 && !Contains(request.Subset, _endpoints[i]))
                    continue;
                if (pick < 0 || _outstanding[i] < _outstanding[pick])
                {
                    pick = i;
                    ties = 1;
                }
                else if (_outstanding[i] == _outstanding[pick] && _random.Next(++ties) == 0)
                {
                    pick = i;
                }
            }
            if (pick < 0)
                return ValueTask.FromResult(new ScheduleResponse(ScheduleOutcome.NoCandidates, null, [], 503, "no endpoint in the subset", "least-request", 0));
            _outstanding[pick]++;
            _byRequest[request.RequestId] = pick;
        }
        return ValueTask.FromResult(new ScheduleResponse(ScheduleOutcome.Scheduled, _endpoints[pick], [], 200, null, "least-request", 0));
    }

    public ValueTask CompleteAsync(RequestCompletion completion, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(completion);
        lock (_gate)
        {
            if (_byRequest.Remove(completion.RequestId, out var i))
                _outstanding[i]--;
        }
        return ValueTask.CompletedTask;
    }

    /// <summary>Requests placed and not completed yet (tests, and the check that ext-proc reports every completion).</summary>
    public int Outstanding
    {
        get
        {
            lock (_gate)
                return _byRequest.Count;
        }
    }

    private static bool Contains(IReadOnlyList<string> list, string value)
    {
        for (var i = 0; i < list.Count; i++)
        {
            if (string.Equals(list[i], value, StringComparison.Ordinal))
                return true;
        }
        return false;
    }
}
