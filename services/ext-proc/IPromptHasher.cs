namespace InferenceMesh.ExtProc;

/// <summary>Turns a prompt into its prefix block-hash chain (what the prefix index matches on).</summary>
public interface IPromptHasher
{
    /// <summary>The chain for <paramref name="prompt"/> (UTF-8 prompt text, or the serialized chat messages) under <paramref name="model"/>.</summary>
    ulong[] Hash(string model, ReadOnlySpan<byte> prompt);
}
