namespace InferenceMesh.Scheduling;

/// <summary>One assembled scheduling profile: filters, weighted scorers (weight &gt; 0) and the picker, in configuration order.</summary>
internal sealed class SchedulingProfile
{
    public SchedulingProfile(string name, IEndpointFilter[] filters, IEndpointScorer[] scorers, double[] weights, IEndpointSelector selector)
    {
        Name = name;
        Filters = filters;
        Scorers = scorers;
        Weights = weights;
        Selector = selector;
        foreach (var scorer in scorers)
        {
            UsesPrefix |= scorer.UsesPrefix;
            PlacementAware |= scorer is IPlacementAware;
        }
        foreach (var filter in filters)
            PlacementAware |= filter is IPlacementAware;
    }

    public string Name { get; }
    public IEndpointFilter[] Filters { get; }
    public IEndpointScorer[] Scorers { get; }

    /// <summary><c>Weights[i]</c> multiplies <c>Scorers[i]</c>.</summary>
    public double[] Weights { get; }
    public IEndpointSelector Selector { get; }

    /// <summary>Whether a scorer reads prefix matches (so the prefix index is asked at all).</summary>
    public bool UsesPrefix { get; }

    /// <summary>Whether a plugin is placement-aware (<see cref="IPlacementAware"/>).</summary>
    public bool PlacementAware { get; }
}
