using Grpc.Net.Client;
using InferenceMesh.Grpc;
using InferenceMesh.Grpc.Envoy.Service.ExtProc.V3;

namespace InferenceMesh.Gateway;

/// <summary>The ext_proc replicas the gateway spreads streams over (round-robin, as Envoy's cluster load balancer does),
/// one channel each (h2c, or TLS without certificate checks: a development stand-in). A retry takes the next replica after the one that failed (Envoy's <c>previous_hosts</c> predicate).</summary>
internal sealed class ExtProcReplicas : IDisposable
{
    private readonly GrpcChannel[] _channels;
    private readonly ExternalProcessor.ExternalProcessorClient[] _clients;
    private int _next = -1;

    public ExtProcReplicas(IReadOnlyList<string> addresses)
    {
        _channels = new GrpcChannel[addresses.Count];
        _clients = new ExternalProcessor.ExternalProcessorClient[addresses.Count];
        for (var i = 0; i < addresses.Count; i++)
        {
            _channels[i] = H2cChannel.Create(new Uri(addresses[i]), skipCertificateValidation: true);
            _clients[i] = new ExternalProcessor.ExternalProcessorClient(_channels[i]);
        }
    }

    public int Count => _clients.Length;

    /// <summary>The replica index of a new request's first attempt.</summary>
    public int First() => (int)((uint)Interlocked.Increment(ref _next) % (uint)_clients.Length);

    /// <summary>The client of attempt <paramref name="attempt"/> (0 = first) of a request that started at <paramref name="first"/>.</summary>
    public ExternalProcessor.ExternalProcessorClient For(int first, int attempt) => _clients[(first + attempt) % _clients.Length];

    public void Dispose()
    {
        foreach (var c in _channels)
            c.Dispose();
    }
}
