namespace InferenceMesh.ExtProc;

/// <summary>Turns a prompt into its prefix block-hash chain (what the prefix index matches on).</summary>
public interface IPromptHasher
{
    /// <summary>Prompt bytes past this length cannot change the chain (they need not be copied or unescaped).</summary>
    int MaxPromptBytes { get; }

    /// <summary>The chain for <paramref name="prompt"/> (canonical UTF-8 prompt text) under the target <paramref name="model"/>.</summary>
    ulong[] Hash(string model, ReadOnlySpan<byte> prompt);
}
