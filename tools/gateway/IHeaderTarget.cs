namespace InferenceMesh.Gateway;

/// <summary>Headers an Envoy <c>HeaderMutation</c> is applied to (<see cref="HeaderMutations"/>): the incoming request,
/// the upstream request, or the response.</summary>
internal interface IHeaderTarget
{
    void Remove(string name);

    /// <summary>Replaces every value of <paramref name="name"/> with <paramref name="value"/>.</summary>
    void Set(string name, string value);
}
