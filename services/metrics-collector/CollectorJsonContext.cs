using System.Text.Json.Serialization;
using InferenceMesh.Contracts;
using InferenceMesh.Kubernetes;

namespace InferenceMesh.MetricsCollector;

/// <summary>Source-generated JSON of the collector's HTTP API (camelCase like the contracts).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(IReadOnlyList<EndpointStatus>))]
[JsonSerializable(typeof(PoolView))]
[JsonSerializable(typeof(PoolSnapshot))]
[JsonSerializable(typeof(IReadOnlyCollection<PoolSnapshot>))]
[JsonSerializable(typeof(ProblemReason))]
public sealed partial class CollectorJsonContext : JsonSerializerContext;
