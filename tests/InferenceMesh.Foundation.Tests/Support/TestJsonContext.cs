using System.Text.Json.Serialization;

namespace InferenceMesh.Foundation.Tests.Support;

/// <summary>A payload type the contracts do not know, with the JSON shape of <c>ProblemReason</c>.</summary>
public sealed record OtherShape(int Status, string Reason);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(OtherShape))]
[JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class TestJsonContext : JsonSerializerContext;
