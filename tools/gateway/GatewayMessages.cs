using Google.Protobuf;
using InferenceMesh.Contracts;
using InferenceMesh.Grpc.Envoy.Config.Core.V3;

namespace InferenceMesh.Gateway;

/// <summary>ext_proc message pieces shared by the gateway's filters (the body router and the Endpoint Picker).</summary>
internal static class GatewayMessages
{
    /// <summary>The request's headers as Envoy sends them: pseudo-headers first, names lower-case, values in raw_value;
    /// <paramref name="requestId"/>, when given, replaces the client's <c>x-request-id</c>.</summary>
    public static HeaderMap RequestHeaderMap(HttpRequest request, string? requestId)
    {
        var map = new HeaderMap();
        map.Headers.Add(Raw(":method", request.Method));
        map.Headers.Add(Raw(":path", request.Path.Value + request.QueryString.Value));
        map.Headers.Add(Raw(":authority", request.Host.Value ?? ""));
        map.Headers.Add(Raw(":scheme", request.Scheme));
        foreach (var (key, values) in request.Headers)
        {
            if (string.Equals(key, "host", StringComparison.OrdinalIgnoreCase)
                || (requestId is not null && string.Equals(key, HeaderNames.RequestId, StringComparison.OrdinalIgnoreCase)))
                continue;
            foreach (var v in values)
                map.Headers.Add(Raw(key.ToLowerInvariant(), v ?? ""));
        }
        if (requestId is not null)
            map.Headers.Add(Raw(HeaderNames.RequestId, requestId));
        return map;
    }

    public static HeaderValue Raw(string key, string value) => new() { Key = key, RawValue = ByteString.CopyFromUtf8(value) };
}
