using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace InferenceMesh.ExtProc;

/// <summary>The ext_proc listener's certificate (the picker's and the body router's): <c>tls.crt</c> + <c>tls.key</c> from
/// the options' <c>CertPath</c>, or, like the reference servers without <c>--cert-path</c>, a self-signed one made at start
/// (gateways connect to them over TLS without verifying it).</summary>
internal static class ExtProcCertificate
{
    public const string SubjectName = "CN=inference-mesh-ext-proc, O=InferenceMesh";

    /// <exception cref="InvalidOperationException">CertPath lacks tls.crt or tls.key (Kestrel is configured before the
    /// options are validated, so the message names the key here too).</exception>
    public static X509Certificate2 Load(string? certPath, string section, TimeProvider time)
    {
        if (string.IsNullOrEmpty(certPath))
            return CreateSelfSigned(time);
        if (!HasFiles(certPath))
            throw new InvalidOperationException($"{section}:CertPath: {MissingFiles}");
        return X509Certificate2.CreateFromPemFile(Path.Combine(certPath, "tls.crt"), Path.Combine(certPath, "tls.key"));
    }

    /// <summary>The options' checks of <c>SecureServing</c> and <c>CertPath</c> (results name <c>CertPath</c>).</summary>
    public static IEnumerable<ValidationResult> Validate(bool secureServing, string? certPath)
    {
        if (string.IsNullOrEmpty(certPath))
            yield break;
        if (!secureServing)
            yield return new ValidationResult("is set but SecureServing is off", ["CertPath"]);
        if (!HasFiles(certPath))
            yield return new ValidationResult(MissingFiles, ["CertPath"]);
    }

    private const string MissingFiles = "must be a directory holding tls.crt and tls.key";

    private static bool HasFiles(string certPath) =>
        File.Exists(Path.Combine(certPath, "tls.crt")) && File.Exists(Path.Combine(certPath, "tls.key"));

    public static X509Certificate2 CreateSelfSigned(TimeProvider time)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(SubjectName, key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddDnsName(Environment.MachineName);
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        var now = time.GetUtcNow();
        // The reference's self-signed certificate lasts 10 years; the process restarts long before.
        return request.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(10));
    }
}
