using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using StackExchange.Redis;

namespace InferenceMesh.PrefixIndex.Tests.Redis;

/// <summary>TLS against redis-server's own TLS port (plain port off), with a private CA given by
/// <c>PrefixIndex:RedisCaCertificate</c>.</summary>
public sealed class RedisTlsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("im-tls-").FullName;
    private readonly X509Certificate2 _certificate;
    private readonly RedisServer _server;
    private readonly string _certFile;

    public RedisTlsTests()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        _certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        _certFile = Path.Combine(_dir, "server.crt");
        var pem = Path.Combine(_dir, "server.key");
        File.WriteAllText(_certFile, _certificate.ExportCertificatePem());
        File.WriteAllText(pem, key.ExportPkcs8PrivateKeyPem());
        _server = RedisServer.StartTls(_certFile, pem, _certFile);
    }

    public void Dispose()
    {
        _server.Dispose();
        _certificate.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Theory]
    [InlineData("127.0.0.1:{0},ssl=true,sslHost=localhost")]
    [InlineData("127.0.0.1:{0},tls=true,tlsHost=localhost")]
    [InlineData("rediss://localhost:{0}")]
    public async Task Tls_WithTheServersCa_CommandsWork(string format)
    {
        await using var redis = await RedisConnections.ConnectAsync(string.Format(System.Globalization.CultureInfo.InvariantCulture, format, _server.Port), _certFile);
        var db = redis.GetDatabase();
        await db.StringSetAsync("tls", "yes");
        Assert.Equal("yes", (string?)await db.StringGetAsync("tls"));
    }

    [Fact]
    public async Task Tls_UntrustedCertificate_NeverConnects()
    {
        await using var redis = await RedisConnections.ConnectAsync($"127.0.0.1:{_server.Port},ssl=true,sslHost=localhost");
        Assert.False(redis.IsConnected);
        await Assert.ThrowsAsync<RedisConnectionException>(() => redis.GetDatabase().PingAsync());
    }
}
