using System.ComponentModel.DataAnnotations;

namespace InferenceMesh.Gateway;

/// <summary>One route of the development gateway: an HTTPRoute rule matching one request header (after the body-based
/// router set it) and the InferencePool's Endpoint Picker that serves the matching requests.</summary>
public sealed record GatewayRouteOptions
{
    /// <summary>Header the rule matches (case-insensitive name).</summary>
    [Required]
    public string Header { get; init; } = "X-Gateway-Model-Name";

    /// <summary>The value must equal this (HTTPRoute <c>type: Exact</c>); set this or <see cref="RegularExpression"/>.</summary>
    public string? Exact { get; init; }

    /// <summary>The whole value must match this regular expression (HTTPRoute <c>type: RegularExpression</c>, full match as in Envoy).</summary>
    public string? RegularExpression { get; init; }

    /// <summary>The pool's Endpoint Picker: <c>https://</c> = TLS (certificate not verified), <c>http://</c> = h2c.</summary>
    [Required]
    [Url]
    public string ExtProcAddress { get; init; } = "";
}
