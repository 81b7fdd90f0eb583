using System.Text.Json.Serialization;

namespace InferenceMesh.Contracts;

/// <summary>InferenceModel criticality; bands are served strictly in this order.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<Criticality>))]
public enum Criticality
{
    Critical = 0,
    Standard = 1,
    Sheddable = 2,
}
