using System.Text.Json.Serialization;

namespace InferenceMesh.Prefix.Index.Dapr;

/// <summary>An endpoint's ledger for one model: its record counter, the counter value below which everything was purged,
/// and its capacity at the last record.</summary>
internal sealed record DaprLedger(long Seq, long Floor);

/// <summary>Which (model, endpoint) pairs exist: model → endpoints.</summary>
internal sealed record DaprRegistry(Dictionary<string, List<string>> Models);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(DaprLedger))]
[JsonSerializable(typeof(DaprRegistry))]
[JsonSerializable(typeof(Dictionary<string, long>))]
[JsonSerializable(typeof(int))]
internal sealed partial class DaprPrefixJsonContext : JsonSerializerContext;
