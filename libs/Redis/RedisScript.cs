using System.Security.Cryptography;
using System.Text;

namespace InferenceMesh.Redis;

/// <summary>A Lua script run with <c>EVALSHA</c>; <see cref="RedisConnection.EvalAsync"/> loads it on <c>NOSCRIPT</c>
/// (first use, or after the server restarted or ran SCRIPT FLUSH).</summary>
public sealed class RedisScript
{
    public RedisScript(string source)
    {
        ArgumentException.ThrowIfNullOrEmpty(source);
        Source = source;
        // SHA-1 is what Redis names scripts by; it is an identifier here, not a security measure.
#pragma warning disable CA5350
        Sha1 = Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(source)));
#pragma warning restore CA5350
    }

    /// <summary>The Lua source.</summary>
    public string Source { get; }

    /// <summary>Lower-case hex SHA-1 of the source, as <c>SCRIPT LOAD</c> returns it.</summary>
    public string Sha1 { get; }
}
