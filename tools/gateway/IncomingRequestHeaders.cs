namespace InferenceMesh.Gateway;

/// <summary>The client's request as the body router's mutation changes it (before route selection). Its length follows
/// the body the router streams back, so a <c>content-length</c> set is not taken.</summary>
internal readonly struct IncomingRequestHeaders(HttpRequest request) : IHeaderTarget
{
    public void Remove(string name) => request.Headers.Remove(name);

    public void Set(string name, string value)
    {
        if (!HeaderMutations.IsContentLength(name))
            request.Headers[name] = value;
    }
}
