using System.ComponentModel.DataAnnotations;

namespace InferenceMesh.Scheduling;

/// <summary>Time-to-first-token objectives (<c>Scheduler:Slo</c>). A request's objective is its
/// <c>x-slo-ttft-ms</c> header, else the one configured for its model, else <see cref="DefaultTtftMs"/>; 0 = none.</summary>
public sealed record SloOptions
{
    /// <summary>Objective for requests that carry none and whose model has none; 0 = no objective.</summary>
    [Range(0, 3_600_000)]
    public int DefaultTtftMs { get; set; }

    /// <summary>Objective per model (the model the client asked for: the InferenceObjective's model name).</summary>
    public Dictionary<string, int> TtftMsByModel { get; set; } = new(StringComparer.Ordinal);

    /// <summary>When no endpoint is predicted to meet a Standard request's objective: shed it (429, true) or place it on the
    /// endpoint the profile prefers (false, the default). Critical is always placed, Sheddable always shed.</summary>
    public bool ShedStandard { get; set; }

    /// <summary>The objective of a request for <paramref name="model"/> that carries <paramref name="requested"/> (0 = none).</summary>
    public int ObjectiveFor(string? model, int requested) =>
        requested > 0 ? requested
        : model is not null && TtftMsByModel.TryGetValue(model, out var ms) && ms > 0 ? ms
        : DefaultTtftMs;

    internal IEnumerable<ValidationResult> Validate()
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(this, new ValidationContext(this), results, validateAllProperties: true);
        foreach (var (model, ms) in TtftMsByModel)
        {
            if (ms is < 0 or > 3_600_000)
                results.Add(new ValidationResult("must be in [0, 3600000] ms", [$"{nameof(TtftMsByModel)}:{model}"]));
        }
        return results;
    }
}
