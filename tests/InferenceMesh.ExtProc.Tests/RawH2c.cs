using System.Net;
using System.Net.Http.Headers;

namespace InferenceMesh.ExtProc.Tests;

/// <summary>Hand-made HTTP/2 requests for protocol edge cases the framed client would never produce.</summary>
internal static class RawH2c
{
    public sealed record Result(HttpStatusCode Status, HttpResponseHeaders Headers, byte[] Body, HttpResponseHeaders Trailers)
    {
        public string? Header(string name) => Headers.TryGetValues(name, out var v) ? v.First() : null;

        public string? Trailer(string name) => Trailers.TryGetValues(name, out var v) ? v.First() : null;

        /// <summary>grpc-status from trailers, or from headers for a trailers-only response.</summary>
        public string? GrpcStatus => Trailer("grpc-status") ?? Header("grpc-status");
    }

    public static async Task<Result> SendAsync(
        Uri address, string path, IReadOnlyList<byte[]> segments, string contentType = "application/grpc",
        IEnumerable<(string, string)>? headers = null, HttpMethod? method = null)
    {
        using var handler = new SocketsHttpHandler { UseProxy = false };
        using var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(60) };
        using var request = new HttpRequestMessage(method ?? HttpMethod.Post, new Uri(address, path))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new SegmentedContent(segments, contentType),
        };
        request.Headers.TE.Add(new TransferCodingWithQualityHeaderValue("trailers"));
        if (headers is not null)
        {
            foreach (var (k, v) in headers)
                request.Headers.TryAddWithoutValidation(k, v);
        }
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var body = await response.Content.ReadAsByteArrayAsync();
        return new Result(response.StatusCode, response.Headers, body, response.TrailingHeaders);
    }

    /// <summary>Writes each segment with a flush in between, so they travel as separate DATA frames.</summary>
    private sealed class SegmentedContent : HttpContent
    {
        private readonly IReadOnlyList<byte[]> _segments;

        public SegmentedContent(IReadOnlyList<byte[]> segments, string contentType)
        {
            _segments = segments;
            Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            foreach (var s in _segments)
            {
                await stream.WriteAsync(s);
                await stream.FlushAsync();
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = -1;
            return false;
        }
    }
}
