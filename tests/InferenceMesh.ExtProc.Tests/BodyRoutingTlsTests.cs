using System.Net.Security;
using InferenceMesh.Grpc.Envoy.Service.ExtProc.V3;

namespace InferenceMesh.ExtProc.Tests;

/// <summary>The body router's ext_proc listener serves TLS by default, as the picker's does (<c>BodyRouting:SecureServing</c>,
/// <c>BodyRouting:CertPath</c>), and h2c when told to.</summary>
public sealed class BodyRoutingTlsTests
{
    [Fact]
    public async Task Default_IsTlsWithASelfSignedCertificate_AndAnswersOverIt()
    {
        await using var host = await BodyRoutingHost.StartAsync();
        Assert.True(host.Listeners.GrpcTls);
        Assert.Equal("https", host.GrpcAddress.Scheme);
        var (subject, issuer, protocol) = await TlsProbe.HandshakeAsync(host.Listeners.GrpcPort);
        Assert.Equal(SslApplicationProtocol.Http2, protocol);
        Assert.Equal((ExtProcCertificate.SubjectName, ExtProcCertificate.SubjectName), (subject, issuer));
        await AssertAnswersAsync(host);
    }

    [Fact]
    public async Task SecureServingOff_IsH2c()
    {
        await using var host = await BodyRoutingHost.StartAsync(new Dictionary<string, string?> { ["BodyRouting:SecureServing"] = "false" });
        Assert.False(host.Listeners.GrpcTls);
        Assert.Equal("http", host.GrpcAddress.Scheme);
        await AssertAnswersAsync(host);
    }

    [Theory]
    [InlineData("true")]
    [InlineData("false")]
    public async Task Start_BadCertPath_FailsNamingTheKey(string secureServing)
    {
        var dir = Directory.CreateTempSubdirectory("bbr-nocert-").FullName;
        try
        {
            var ex = await Assert.ThrowsAnyAsync<Exception>(() => BodyRoutingHost.StartAsync(
                new Dictionary<string, string?> { ["BodyRouting:SecureServing"] = secureServing, ["BodyRouting:CertPath"] = dir }));
            Assert.Contains("BodyRouting:CertPath", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>A bodiless request is answered at once: the call went through the listener.</summary>
    private static async Task AssertAnswersAsync(BodyRoutingHost host)
    {
        await using var call = ExtProcCall.Open(host.Client);
        await call.WriteAsync(EnvoyMessages.RequestHeaders(endOfStream: true, method: "GET", path: "/v1/models"));
        var headers = await call.NextAsync();
        Assert.Equal(ProcessingResponse.ResponseOneofCase.RequestHeaders, headers.ResponseCase);
    }
}
