namespace InferenceMesh.Prometheus;

/// <summary>Receives every sample of an exposition in order. Implement it on a (ref) struct to parse without allocating.</summary>
public interface IPrometheusSampleVisitor
{
    /// <summary>Called once per sample line. The sample's spans point into the parsed buffer and are valid only during the call
    /// (or as long as the buffer lives, for a ref struct visitor).</summary>
    void OnSample(in PrometheusSample sample);
}
