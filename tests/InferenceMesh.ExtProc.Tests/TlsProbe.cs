using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace InferenceMesh.ExtProc.Tests;

/// <summary>A TLS handshake with a loopback gRPC port that only looks at what the server presents.</summary>
internal static class TlsProbe
{
    /// <summary>The server certificate's subject and issuer, and the negotiated ALPN protocol (read before the
    /// connection, which owns the certificate, is closed).</summary>
    public static async Task<(string Subject, string Issuer, SslApplicationProtocol Protocol)> HandshakeAsync(int port)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, port);
        X509Certificate? seen = null;
        await using var ssl = new SslStream(client.GetStream(), false);
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            ApplicationProtocols = [SslApplicationProtocol.Http2],
            // Only captures the certificate: the test inspects it instead of validating it.
            RemoteCertificateValidationCallback = (_, cert, _, _) => (seen = cert) is not null,
        });
        Assert.NotNull(seen);
        return (seen.Subject, seen.Issuer, ssl.NegotiatedApplicationProtocol);
    }
}
