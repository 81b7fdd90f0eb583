using System.Threading.Channels;

namespace InferenceMesh.VllmSim.Http;

/// <summary>Hands a request's progress from the engine thread to its HTTP handler.</summary>
internal sealed class RequestObserver : ISimRequestObserver
{
    private readonly Channel<int> _tokens = Channel.CreateUnbounded<int>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });

    public ChannelReader<int> Tokens => _tokens.Reader;

    public void OnToken(SimRequest request, int generated, double simMs) => _tokens.Writer.TryWrite(generated);

    public void OnFinished(SimRequest request, double simMs) => _tokens.Writer.TryComplete();
}
