using System.Text.Json.Serialization;
using InferenceMesh.Prefix.Index;

namespace InferenceMesh.PrefixIndex;

/// <summary>Body of <c>DELETE /endpoints/{endpoint}</c>.</summary>
public sealed record PurgeResult(string Endpoint, long Removed);

/// <summary>Body of <c>PUT /endpoints/{endpoint}/capacity</c>.</summary>
public sealed record CapacityRequest(int Capacity);

/// <summary>JSON of the service's own (non-contract) bodies.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(PrefixIndexStats))]
[JsonSerializable(typeof(PurgeResult))]
[JsonSerializable(typeof(CapacityRequest))]
public sealed partial class PrefixIndexJsonContext : JsonSerializerContext;
