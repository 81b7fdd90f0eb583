using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace InferenceMesh.ExtProc;

/// <summary>The ext_proc listener's certificate: <c>tls.crt</c> + <c>tls.key</c> from <see cref="ExtProcOptions.CertPath"/>,
/// or, like the reference picker without <c>--cert-path</c>, a self-signed one made at start (gateways connect to the
/// picker over TLS without verifying it).</summary>
internal static class ExtProcCertificate
{
    public const string SubjectName = "CN=inference-mesh-ext-proc, O=InferenceMesh";

    /// <exception cref="InvalidOperationException">CertPath lacks tls.crt or tls.key (Kestrel is configured before the
    /// options are validated, so the message names the key here too).</exception>
    public static X509Certificate2 Load(ExtProcOptions options, TimeProvider time)
    {
        if (string.IsNullOrEmpty(options.CertPath))
            return CreateSelfSigned(time);
        var crt = Path.Combine(options.CertPath, "tls.crt");
        var key = Path.Combine(options.CertPath, "tls.key");
        if (!File.Exists(crt) || !File.Exists(key))
            throw new InvalidOperationException($"{ExtProcOptions.Section}:{nameof(ExtProcOptions.CertPath)}: must be a directory holding tls.crt and tls.key");
        return X509Certificate2.CreateFromPemFile(crt, key);
    }

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
