namespace InferenceMesh.Gateway;

/// <summary>The client's response as the picker's (or an immediate response's) mutation changes it.</summary>
internal readonly struct ResponseHeaders(HttpResponse response) : IHeaderTarget
{
    public void Remove(string name)
    {
        if (HeaderMutations.IsContentLength(name))
            response.ContentLength = null;
        else
            response.Headers.Remove(name);
    }

    public void Set(string name, string value) => response.Headers[name] = value;
}
