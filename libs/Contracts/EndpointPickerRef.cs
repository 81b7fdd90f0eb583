namespace InferenceMesh.Contracts;

/// <summary>An InferencePool's reference to its Endpoint Picker (v1 <c>spec.endpointPickerRef</c>, v1alpha2
/// <c>spec.extensionRef</c>): what a gateway connects to and how it behaves when the picker does not answer.</summary>
/// <param name="Name">Service (or other kind) name.</param>
/// <param name="Kind">Referent kind; "Service" by default.</param>
/// <param name="Port">v1 <c>port.number</c> (v1alpha2 <c>portNumber</c>); 0 when not given.</param>
/// <param name="FailureMode">"FailClose" (default) or "FailOpen".</param>
public sealed record EndpointPickerRef(string Name, string Kind, int Port, string FailureMode)
{
    public const string FailClose = "FailClose";

    public const string FailOpen = "FailOpen";
}
