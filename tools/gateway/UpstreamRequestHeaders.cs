using System.Globalization;

namespace InferenceMesh.Gateway;

/// <summary>The request to the picked endpoint as the picker's mutation changes it; a <c>content-length</c> set (the picker
/// rewrote the body) becomes <see cref="ContentLength"/>, an unparsable one none (chunked).</summary>
internal struct UpstreamRequestHeaders(HttpRequestMessage request, long? contentLength) : IHeaderTarget
{
    public long? ContentLength { get; private set; } = contentLength;

    public readonly void Remove(string name) => request.Headers.Remove(name);

    public void Set(string name, string value)
    {
        if (HeaderMutations.IsContentLength(name))
        {
            ContentLength = long.TryParse(value, CultureInfo.InvariantCulture, out var length) ? length : null;
            return;
        }
        request.Headers.Remove(name);
        request.Headers.TryAddWithoutValidation(name, value);
    }
}
