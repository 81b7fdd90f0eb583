using System.Net;
using System.Net.Http.Headers;

namespace InferenceMesh.Grpc;

/// <summary>A request body the caller writes into after the request has started (a gRPC stream's messages, or a proxied
/// body forwarded as it arrives): <see cref="Stream"/> completes when HttpClient starts sending, and the body ends at
/// <see cref="Complete"/>.</summary>
public sealed class PushStreamContent : HttpContent
{
    private readonly TaskCompletionSource<Stream> _stream = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <param name="mediaType">Content-Type to send, or null for none.</param>
    public PushStreamContent(string? mediaType = null)
    {
        if (mediaType is not null)
            Headers.ContentType = new MediaTypeHeaderValue(mediaType);
    }

    /// <summary>The request stream, once HttpClient has started the request.</summary>
    public Task<Stream> Stream => _stream.Task;

    /// <summary>Ends the request body.</summary>
    public void Complete() => _done.TrySetResult();

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        _stream.TrySetResult(stream);
        await _done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override bool TryComputeLength(out long length)
    {
        length = -1;
        return false;
    }
}
