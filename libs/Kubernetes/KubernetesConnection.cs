using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace InferenceMesh.Kubernetes;

/// <summary>Where the API server is and how to authenticate: in-cluster service-account files, or explicit values (tests, kubeconfig-less runs).</summary>
/// <param name="BaseAddress">API server root, e.g. https://10.0.0.1:443/.</param>
/// <param name="Namespace">Namespace to watch.</param>
/// <param name="TokenPath">Bearer token file, re-read periodically because bound service-account tokens rotate; null for no token.</param>
/// <param name="CaCertificatePath">PEM bundle that must sign the server certificate; null to use the system trust store.</param>
public sealed record KubernetesConnection(Uri BaseAddress, string Namespace, string? TokenPath, string? CaCertificatePath)
{
    /// <summary>Directory Kubernetes mounts the service-account token, CA and namespace into.</summary>
    public const string ServiceAccountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount";

    /// <summary>Whether this process runs in a pod (service host variable and token file present).</summary>
    public static bool IsInCluster(string serviceAccountDirectory = ServiceAccountDirectory) =>
        !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_HOST"))
        && File.Exists(Path.Combine(serviceAccountDirectory, "token"));

    /// <summary>Reads the in-cluster configuration: <c>KUBERNETES_SERVICE_HOST</c>/<c>KUBERNETES_SERVICE_PORT</c>, the token, CA bundle
    /// and namespace files. <paramref name="namespaceOverride"/> wins over the namespace file when set.</summary>
    public static KubernetesConnection FromInCluster(string? namespaceOverride = null, string serviceAccountDirectory = ServiceAccountDirectory)
    {
        var host = Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_HOST");
        var port = Environment.GetEnvironmentVariable("KUBERNETES_SERVICE_PORT");
        if (string.IsNullOrEmpty(host))
            throw new InvalidOperationException("KUBERNETES_SERVICE_HOST is not set: not running in a Kubernetes pod (use the file discovery mode locally).");
        if (string.IsNullOrEmpty(port))
            port = "443";
        var tokenPath = Path.Combine(serviceAccountDirectory, "token");
        if (!File.Exists(tokenPath))
            throw new InvalidOperationException($"Service-account token {tokenPath} is missing (automountServiceAccountToken disabled?).");
        var caPath = Path.Combine(serviceAccountDirectory, "ca.crt");
        var ns = namespaceOverride;
        if (string.IsNullOrEmpty(ns))
        {
            var nsPath = Path.Combine(serviceAccountDirectory, "namespace");
            ns = File.Exists(nsPath) ? File.ReadAllText(nsPath).Trim() : "default";
        }
        // IPv6 service hosts need brackets in a URI.
        var hostPart = host.Contains(':', StringComparison.Ordinal) && !host.StartsWith('[') ? $"[{host}]" : host;
        return new KubernetesConnection(new Uri($"https://{hostPart}:{port}/"), ns, tokenPath, File.Exists(caPath) ? caPath : null);
    }

    /// <summary>An HttpClient that trusts exactly the CA bundle when one is given (the cluster CA is not in the system store).</summary>
    public HttpClient CreateHttpClient()
    {
        var handler = new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectTimeout = TimeSpan.FromSeconds(10),
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
        };
        if (CaCertificatePath is not null)
        {
            var roots = new X509Certificate2Collection();
            roots.ImportFromPemFile(CaCertificatePath);
            handler.SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, errors) => ValidateAgainst(roots, certificate, errors),
            };
        }
        // Watches are long-lived streams; per-call cancellation bounds everything else.
        return new HttpClient(handler) { BaseAddress = BaseAddress, Timeout = Timeout.InfiniteTimeSpan };
    }

    private static bool ValidateAgainst(X509Certificate2Collection roots, X509Certificate? certificate, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None)
            return true;
        if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
            return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var cert = new X509Certificate2(certificate);
        // Name mismatches are still fatal; only the trust anchor is replaced.
        return chain.Build(cert) && (errors & SslPolicyErrors.RemoteCertificateNameMismatch) == 0;
    }
}
