using System.Text.Json.Serialization;
using InferenceMesh.Scheduling;

namespace InferenceMesh.Scheduler;

/// <summary>Source-generated JSON for the scheduler's own API types (contracts use <c>ContractsJsonContext</c>).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(QueueStatus))]
[JsonSerializable(typeof(IReadOnlyList<PoolStatus>))]
[JsonSerializable(typeof(CompleteResult))]
internal sealed partial class SchedulerJsonContext : JsonSerializerContext;
