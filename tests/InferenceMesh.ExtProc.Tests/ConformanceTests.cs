using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using InferenceMesh.Contracts;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace InferenceMesh.ExtProc.Tests;

/// <summary>The Endpoint Picker protocol, row by row (docs/conformance.md), driven by the independent grpc-js client.</summary>
public sealed class ConformanceTests
{
    private static readonly Dictionary<string, string?> Hooks = new() { ["ExtProc:ConformanceTestHooks"] = "true" };

    [Fact]
    public async Task Tls_IsServedByDefault_WithTheCertificateFromCertPath()
    {
        var dir = Directory.CreateTempSubdirectory("extproc-cert-").FullName;
        try
        {
            using (var key = ECDsa.Create(ECCurve.NamedCurves.nistP256))
            {
                var request = new CertificateRequest("CN=conformance-test", key, HashAlgorithmName.SHA256);
                using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
                await File.WriteAllTextAsync(Path.Combine(dir, "tls.crt"), cert.ExportCertificatePem());
                await File.WriteAllTextAsync(Path.Combine(dir, "tls.key"), key.ExportPkcs8PrivateKeyPem());
            }
            await using var host = await ExtProcTestHost.StartAsync(new Dictionary<string, string?> { ["ExtProc:SecureServing"] = "true", ["ExtProc:CertPath"] = dir });
            host.Scheduler.Handler = (_, _) => Task.FromResult(FakeSchedulingService.Scheduled("10.20.30.40:8000"));
            Assert.True(host.Listeners.GrpcTls);

            // grpc-js trusts exactly the certificate we wrote: the handshake only succeeds if the picker serves it.
            var r = await NodePeer.RunAsync(host.Listeners.GrpcPort, "full-duplex", new Dictionary<string, string> { ["PEER_CA_FILE"] = Path.Combine(dir, "tls.crt") });
            Assert.Equal("10.20.30.40:8000", r.GetProperty("destination").GetString());
            Assert.True(r.GetProperty("bodyEqual").GetBoolean());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Tls_WithoutCertPath_IsASelfSignedCertificate()
    {
        await using var host = await ExtProcTestHost.StartAsync(new Dictionary<string, string?> { ["ExtProc:SecureServing"] = "true" });
        Assert.True(host.Listeners.GrpcTls);
        var (subject, issuer, protocol) = await TlsProbe.HandshakeAsync(host.Listeners.GrpcPort);
        Assert.Equal(System.Net.Security.SslApplicationProtocol.Http2, protocol);
        Assert.Equal(subject, issuer);
        Assert.Equal(ExtProcCertificate.SubjectName, subject);
    }

    [Fact]
    public async Task Start_CertPathWithoutTheFiles_FailsNamingTheKey()
    {
        var dir = Directory.CreateTempSubdirectory("extproc-nocert-").FullName;
        try
        {
            var ex = await Assert.ThrowsAnyAsync<Exception>(() => ExtProcTestHost.StartAsync(new Dictionary<string, string?> { ["ExtProc:SecureServing"] = "true", ["ExtProc:CertPath"] = dir }));
            Assert.Contains("CertPath", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Health_OnItsOwnPlaintextPort_AnswersTheReferenceServiceNames()
    {
        await using var host = await ExtProcTestHost.StartAsync();
        Assert.NotEqual(host.Listeners.GrpcPort, host.Listeners.HealthPort);
        var r = await NodePeer.RunAsync(host.Listeners.HealthPort, "health");
        foreach (var s in new[] { "(empty)", "liveness", "readiness", HealthServiceNames.InferenceExtension, "envoy.service.ext_proc.v3.ExternalProcessor" })
            Assert.Equal("SERVING", r.GetProperty(s).GetProperty("status").GetString());
        Assert.Equal(5, r.GetProperty("no-such-service").GetProperty("code").GetInt32());
    }

    [Fact]
    public async Task Health_NotReady_OnlyLivenessServes()
    {
        await using var host = await ExtProcTestHost.StartAsync(services: s => s.AddHealthChecks()
            .AddCheck("never-ready", () => HealthCheckResult.Unhealthy("not synced"), tags: [InferenceMesh.ServiceDefaults.ServiceDefaultsExtensions.ReadyTag]));
        var r = await NodePeer.RunAsync(host.Listeners.HealthPort, "health");
        Assert.Equal("SERVING", r.GetProperty("liveness").GetProperty("status").GetString());
        // The empty name, inference-extension (what the reference charts probe), readiness and the ExternalProcessor follow readiness.
        foreach (var s in new[] { "(empty)", "readiness", HealthServiceNames.InferenceExtension, "envoy.service.ext_proc.v3.ExternalProcessor" })
            Assert.Equal("NOT_SERVING", r.GetProperty(s).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Metrics_AreServedOnTheMetricsPort()
    {
        await using var host = await ExtProcTestHost.StartAsync();
        using var http = new HttpClient();
        var text = await http.GetStringAsync(new Uri(host.MetricsAddress, "/metrics"));
        Assert.Contains("# TYPE", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SubsetHint_Empty_Is503()
    {
        await using var host = await ExtProcTestHost.StartAsync();
        var r = await NodePeer.RunAsync(host.Listeners.GrpcPort, "conformance-subset-empty");
        Assert.Equal(("immediate_response", "ServiceUnavailable"), (r.GetProperty("answer").GetString(), r.GetProperty("status").GetString()));
        Assert.Empty(host.Scheduler.Requests);
    }

    [Fact]
    public async Task SubsetHint_BareIpsAndIpPorts_ReachTheSchedulerAsSent()
    {
        await using var host = await ExtProcTestHost.StartAsync();
        host.Scheduler.Handler = (r, _) => Task.FromResult(FakeSchedulingService.Scheduled("10.0.0.7:8000"));
        var result = await NodePeer.RunAsync(host.Listeners.GrpcPort, "conformance-subset");
        Assert.Equal("10.0.0.7:8000", result.GetProperty("destination").GetString());
        Assert.Equal(["10.0.0.7", "10.0.0.8:8000"], Assert.Single(host.Scheduler.Requests).Subset);
    }

    [Fact]
    public async Task ServedEndpoint_FromResponseMetadata_IsChargedAndEchoedByTheTestHook()
    {
        await using var host = await ExtProcTestHost.StartAsync(Hooks);
        host.Scheduler.Handler = (_, _) => Task.FromResult(FakeSchedulingService.Scheduled("10.0.0.9:8000", "10.0.0.3:8000"));
        var r = await NodePeer.RunAsync(host.Listeners.GrpcPort, "conformance-served");
        Assert.Equal("10.0.0.9:8000", r.GetProperty("servedHeader").GetString());
        // The test-epp-endpoint-selection header became the subset the scheduler picks from.
        Assert.Equal(["10.0.0.9"], Assert.Single(host.Scheduler.Requests).Subset);
        await Poll.UntilAsync(() => !host.Scheduler.Completions.IsEmpty, "completion");
        Assert.Equal("10.0.0.9:8000", Assert.Single(host.Scheduler.Completions).Endpoint);
    }

    [Fact]
    public async Task ServedEndpoint_DifferentFromThePrimary_IsWhatTheCompletionCarries()
    {
        await using var host = await ExtProcTestHost.StartAsync(new Dictionary<string, string?> { ["ExtProc:IncludeFallbacks"] = "true" });
        host.Scheduler.Handler = (_, _) => Task.FromResult(FakeSchedulingService.Scheduled("10.0.0.1:8000", "10.0.0.9:8000"));
        var r = await NodePeer.RunAsync(host.Listeners.GrpcPort, "conformance-served");
        Assert.Equal("10.0.0.1:8000,10.0.0.9:8000", r.GetProperty("destination").GetString());
        Assert.Equal("", r.GetProperty("servedHeader").GetString()); // hooks off: no echo, and the selection header is ignored
        Assert.Empty(Assert.Single(host.Scheduler.Requests).Subset);
        await Poll.UntilAsync(() => !host.Scheduler.Completions.IsEmpty, "completion");
        Assert.Equal("10.0.0.9:8000", Assert.Single(host.Scheduler.Completions).Endpoint);
    }

    [Fact]
    public async Task HungScheduler_FailClose_Is503AfterTheDecisionTimeout()
    {
        await using var host = await ExtProcTestHost.StartAsync(new Dictionary<string, string?> { ["ExtProc:DecisionTimeoutMs"] = "200" });
        host.Scheduler.BlockUntilCancelled();
        var r = await NodePeer.RunAsync(host.Listeners.GrpcPort, "conformance-decision-timeout");
        Assert.Equal(("immediate_response", "ServiceUnavailable"), (r.GetProperty("answer").GetString(), r.GetProperty("status").GetString()));
        // The hung call was cancelled (its queue slot freed) and the completion still reported.
        await host.Scheduler.ScheduleCancelled.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await Poll.UntilAsync(() => !host.Scheduler.Completions.IsEmpty, "completion");
    }

    [Fact]
    public async Task HungScheduler_FailOpen_RoutesToAnEndpointOfTheSubsetHint()
    {
        await using var host = await ExtProcTestHost.StartAsync(new Dictionary<string, string?> { ["ExtProc:DecisionTimeoutMs"] = "200", ["ExtProc:FailureMode"] = "FailOpen" });
        host.Scheduler.BlockUntilCancelled();
        var r = await NodePeer.RunAsync(host.Listeners.GrpcPort, "conformance-decision-timeout", new Dictionary<string, string> { ["PEER_SUBSET"] = "10.0.0.5:8000" });
        Assert.Equal(("request_headers", "10.0.0.5:8000"), (r.GetProperty("answer").GetString(), r.GetProperty("destination").GetString()));
    }

    [Fact]
    public async Task HungScheduler_FailOpenWithoutASubset_FailsTheStreamForTheProxysFailureMode()
    {
        await using var host = await ExtProcTestHost.StartAsync(new Dictionary<string, string?> { ["ExtProc:DecisionTimeoutMs"] = "200", ["ExtProc:FailureMode"] = "FailOpen" });
        host.Scheduler.Handler = (_, _) => throw new HttpRequestException("sidecar down");
        var r = await NodePeer.RunAsync(host.Listeners.GrpcPort, "conformance-decision-timeout");
        Assert.Equal(("error", 14), (r.GetProperty("answer").GetString(), r.GetProperty("code").GetInt32())); // UNAVAILABLE
    }

    [Fact]
    public async Task Start_DecisionTimeoutNotAboveTheQueueTtl_FailsNamingTheKey()
    {
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => ExtProcTestHost.StartAsync(new Dictionary<string, string?> { ["ExtProc:DecisionTimeoutMs"] = "1000", ["ExtProc:QueueTtlMs"] = "1000" }));
        Assert.Contains("DecisionTimeoutMs", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReferenceFlags_MapOntoOurKeys()
    {
        var config = new Microsoft.Extensions.Configuration.ConfigurationBuilder();
        config.AddReferenceFlags(["--pool-name", "qwen-pool", "--pool-namespace=llm", "--grpc-port=9102", "--grpc-health-port", "9103",
            "--metrics-port=9190", "--secure-serving=false", "--cert-path=/etc/epp", "--pool-group=inference.networking.k8s.io", "--Other:Key=x"]);
        var built = config.Build();
        Assert.Equal("qwen-pool", built["ExtProc:Pool"]);
        Assert.Equal("qwen-pool", built["Discovery:Pool"]);
        Assert.Equal("llm", built["Discovery:Namespace"]);
        Assert.Equal(("9102", "9103", "9190"), (built["ExtProc:GrpcPort"], built["ExtProc:HealthPort"], built["ExtProc:MetricsPort"]));
        Assert.Equal(("false", "/etc/epp"), (built["ExtProc:SecureServing"], built["ExtProc:CertPath"]));
        // Only the mapped flags are added here; the host's own command-line source handles the rest.
        Assert.Null(built["Other:Key"]);
    }

    [Fact]
    public async Task ReferenceMetrics_AreScrapedUnderTheReferenceNames()
    {
        await using var host = await ExtProcTestHost.StartAsync();
        host.Scheduler.Handler = (_, _) => Task.FromResult(FakeSchedulingService.Scheduled("10.20.30.40:8000"));
        await NodePeer.RunAsync(host.Listeners.GrpcPort, "full-duplex");
        await NodePeer.RunAsync(host.Listeners.GrpcPort, "missing-model");
        using var http = new HttpClient();
        string text = "";
        await Poll.UntilAsync(async () =>
        {
            text = await http.GetStringAsync(new Uri(host.MetricsAddress, "/metrics"));
            return text.Contains("inference_objective_output_tokens_bucket", StringComparison.Ordinal);
        }, "the response's metrics");
        foreach (var name in new[] { "inference_objective_request_total{", "inference_objective_request_error_total{", "inference_objective_request_duration_seconds_bucket{",
            "inference_objective_request_sizes_bucket{", "inference_objective_response_sizes_bucket{", "inference_objective_input_tokens_bucket{",
            "inference_objective_running_requests{", "inference_objective_normalized_time_per_output_token_seconds_bucket{", "inference_extension_scheduler_e2e_duration_seconds_bucket{" })
            Assert.Contains(name, text, StringComparison.Ordinal);
        Assert.Contains("error_code=\"BadRequest\"", text, StringComparison.Ordinal);
        // The peer's "qwen" is no InferenceModel of this host: counted under the bounded label, never the client's string.
        Assert.Contains("model_name=\"_other\"", text, StringComparison.Ordinal);
        Assert.DoesNotContain("model_name=\"qwen\"", text, StringComparison.Ordinal);
    }
}
