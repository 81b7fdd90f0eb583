using System.Text.Json.Serialization;

namespace InferenceMesh.Contracts;

/// <summary>Source-generated JSON for every contract type (camelCase on the wire).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(EndpointMetrics))]
[JsonSerializable(typeof(PoolSnapshot))]
[JsonSerializable(typeof(RoutingDecision))]
[JsonSerializable(typeof(RequestCompletion))]
[JsonSerializable(typeof(ScheduleRequest))]
[JsonSerializable(typeof(ScheduleResponse))]
[JsonSerializable(typeof(PrefixMatchRequest))]
[JsonSerializable(typeof(PrefixMatchResponse))]
[JsonSerializable(typeof(PrefixRecordRequest))]
[JsonSerializable(typeof(PrefixMatchAndRecordRequest))]
[JsonSerializable(typeof(PrefixCapacityFeedback))]
[JsonSerializable(typeof(PrefixCapacityFeedbackResponse))]
[JsonSerializable(typeof(ProblemReason))]
[JsonSerializable(typeof(InferencePoolSpec))]
[JsonSerializable(typeof(InferenceModelSpec))]
[JsonSerializable(typeof(DiscoveredEndpoint))]
public sealed partial class ContractsJsonContext : JsonSerializerContext;
