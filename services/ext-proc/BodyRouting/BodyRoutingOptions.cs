using System.ComponentModel.DataAnnotations;

namespace InferenceMesh.ExtProc.BodyRouting;

/// <summary>Configuration section <c>BodyRouting</c>: the body-based-routing mode of ext-proc (docs/body-routing.md).</summary>
public sealed record BodyRoutingOptions : IValidatableObject
{
    public const string Section = "BodyRouting";

    /// <summary>The reference's header for the request body's <c>model</c>; HTTPRoutes match on it.</summary>
    public const string DefaultHeaderName = "X-Gateway-Model-Name";

    /// <summary>Run this process as the body-based router instead of the Endpoint Picker (no scheduler, no Dapr sidecar).</summary>
    public bool Enabled { get; init; }

    /// <summary>Address both listeners bind to.</summary>
    [Required]
    public string ListenAddress { get; init; } = "0.0.0.0";

    /// <summary>gRPC ext_proc port (TLS unless <see cref="SecureServing"/> is off, then h2c); the reference's body-based
    /// router listens on 9004. 0 picks a free port.</summary>
    [Range(0, 65535)]
    public int GrpcPort { get; init; } = 9004;

    /// <summary>Serve ext_proc over TLS (the reference router's <c>--secure-serving</c>, on by default, as the picker's
    /// <c>ExtProc:SecureServing</c>); off = h2c.</summary>
    public bool SecureServing { get; init; } = true;

    /// <summary>Directory holding <c>tls.crt</c> and <c>tls.key</c> (PEM) for <see cref="SecureServing"/>; unset = a
    /// self-signed certificate made at start.</summary>
    public string? CertPath { get; init; }

    /// <summary>HTTP/1.1 port for <c>/healthz</c> and metrics; the reference's health port is 9005. 0 picks a free port.</summary>
    [Range(0, 65535)]
    public int HttpPort { get; init; } = 9005;

    /// <summary>Request header set from the body's <c>model</c> (lower-cased on the wire, as HTTP/2 requires).</summary>
    [Required]
    [RegularExpression("^[A-Za-z0-9-]+$", ErrorMessage = "BodyRouting:HeaderName must be an HTTP header token of letters, digits and dashes")]
    public string HeaderName { get; init; } = DefaultHeaderName;

    /// <summary>Largest request body buffered to find <c>model</c>; bigger requests get 413.</summary>
    [Range(1024, 1024 * 1024 * 1024)]
    public int MaxBodyBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>Size of re-streamed body chunks in FULL_DUPLEX_STREAMED mode (at most 62,000).</summary>
    [Range(1, ExtProcOptions.MaxStreamedChunkBytes)]
    public int ChunkBytes { get; init; } = ExtProcOptions.MaxStreamedChunkBytes;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext) =>
        ExtProcCertificate.Validate(SecureServing, CertPath);
}
