using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using InferenceMesh.PrefixIndex.Tests.Infrastructure;
using InferenceMesh.Redis;

namespace InferenceMesh.PrefixIndex.Tests.Redis;

public sealed class RedisTlsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("im-tls-").FullName;
    private readonly X509Certificate2 _certificate;
    private readonly RedisServer _server;

    public RedisTlsTests()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        _certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var cert = Path.Combine(_dir, "server.crt");
        var pem = Path.Combine(_dir, "server.key");
        File.WriteAllText(cert, _certificate.ExportCertificatePem());
        File.WriteAllText(pem, key.ExportPkcs8PrivateKeyPem());
        _server = RedisServer.StartTls(cert, pem, cert);
    }

    public void Dispose()
    {
        _server.Dispose();
        _certificate.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task UseTls_TrustedServerCertificate_CommandsWork()
    {
        var thumbprint = _certificate.Thumbprint;
        await using var redis = await RedisConnection.ConnectAsync(_server.Options with
        {
            UseTls = true,
            TlsHost = "localhost",
            CertificateValidation = (_, cert, _, _) => cert is not null && string.Equals(cert.GetCertHashString(), thumbprint, StringComparison.OrdinalIgnoreCase),
            Protocol = 3,
        });
        await redis.ExecuteAsync("SET", "tls", "yes");
        Assert.Equal("yes", (await redis.ExecuteAsync("GET", "tls")).AsString());
    }

    [Fact]
    public async Task UseTls_UntrustedCertificate_ConnectFails()
    {
        var error = await Assert.ThrowsAsync<RedisConnectionException>(() =>
            RedisConnection.ConnectAsync(_server.Options with { UseTls = true, TlsHost = "localhost" }));
        Assert.Contains("connect", error.Message, StringComparison.Ordinal);
    }
}
