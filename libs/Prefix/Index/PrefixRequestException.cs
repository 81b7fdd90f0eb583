namespace InferenceMesh.Prefix.Index;

/// <summary>A request the index refuses (no model, too many hashes, …); the HTTP API answers 400 with <see cref="Exception.Message"/>.</summary>
public sealed class PrefixRequestException : Exception
{
    public PrefixRequestException() { }

    public PrefixRequestException(string message) : base(message) { }

    public PrefixRequestException(string message, Exception? inner) : base(message, inner) { }
}
