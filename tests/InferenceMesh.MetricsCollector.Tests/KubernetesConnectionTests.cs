using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using InferenceMesh.Kubernetes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace InferenceMesh.MetricsCollector.Tests;

public sealed class KubernetesConnectionTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sa").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void FromInCluster_ReadsServiceAccountFilesAndServiceEnvironment()
    {
        File.WriteAllText(Path.Combine(_dir, "token"), "abc\n");
        File.WriteAllText(Path.Combine(_dir, "namespace"), "inference\n");
        var oldHost = Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_HOST");
        var oldPort = Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_PORT");
        try
        {
            Environment.SetEnvironmentVariable("KUBERNETES_SERVICE_HOST", "fd00::1");
            Environment.SetEnvironmentVariable("KUBERNETES_SERVICE_PORT", "6443");
            var c = KubernetesConnection.FromInCluster(serviceAccountDirectory: _dir);
            Assert.Equal(new Uri("https://[fd00::1]:6443/"), c.BaseAddress);
            Assert.Equal("inference", c.Namespace);
            Assert.Equal(Path.Combine(_dir, "token"), c.TokenPath);
            Assert.Null(c.CaCertificatePath); // no ca.crt in this directory
            Assert.Equal("other", KubernetesConnection.FromInCluster("other", _dir).Namespace);
            Assert.True(KubernetesConnection.IsInCluster(_dir));
        }
        finally
        {
            Environment.SetEnvironmentVariable("KUBERNETES_SERVICE_HOST", oldHost);
            Environment.SetEnvironmentVariable("KUBERNETES_SERVICE_PORT", oldPort);
        }
    }

    [Fact]
    public void FromInCluster_OutsideAPod_ExplainsWhatIsMissing()
    {
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_HOST")))
            return; // Running inside a pod: the message under test cannot occur.
        var ex = Assert.Throws<InvalidOperationException>(() => KubernetesConnection.FromInCluster(serviceAccountDirectory: _dir));
        Assert.Contains("KUBERNETES_SERVICE_HOST", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HttpClient_TrustsExactlyTheClusterCa()
    {
        using var ca = CreateCa("test-cluster-ca");
        using var otherCa = CreateCa("someone-else");
        using var serverCert = IssueServerCertificate(ca);
        var caPath = Path.Combine(_dir, "ca.crt");
        await File.WriteAllTextAsync(caPath, ca.ExportCertificatePem());
        var otherPath = Path.Combine(_dir, "other.crt");
        await File.WriteAllTextAsync(otherPath, otherCa.ExportCertificatePem());

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0, l => l.UseHttps(serverCert)));
        (var app, var address) = await TestServers.StartAsync(
            a => a.MapGet("/api/v1/namespaces/default/pods", (HttpContext _) => Results.Text("""{"metadata":{"resourceVersion":"7"},"items":[]}""", "application/json")),
            builder: builder);
        await using var _ = app;
        var baseAddress = new Uri($"https://127.0.0.1:{address.Port}/");

        var trusted = new KubernetesConnection(baseAddress, "default", null, caPath);
        var list = await new KubernetesApiClient(trusted.CreateHttpClient(), trusted).ListAsync("api/v1/namespaces/default/pods", null, CancellationToken.None);
        Assert.Equal("7", list.ResourceVersion);

        var untrusted = new KubernetesConnection(baseAddress, "default", null, otherPath);
        await Assert.ThrowsAsync<HttpRequestException>(() =>
            new KubernetesApiClient(untrusted.CreateHttpClient(), untrusted).ListAsync("api/v1/namespaces/default/pods", null, CancellationToken.None));
    }

    private static X509Certificate2 CreateCa(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
    }

    private static X509Certificate2 IssueServerCertificate(X509Certificate2 ca)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=kubernetes", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var issued = request.Create(ca, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(7), RandomNumberGenerator.GetBytes(8));
        using var withKey = issued.CopyWithPrivateKey(key);
        // Round-trip through PKCS#12 so the private key is usable by SslStream on every platform.
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pfx), null);
    }
}
