using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

namespace InferenceMesh.Prefix.Hashing;

/// <summary>A prompt's block hash chain: the prompt's UTF-8 bytes are cut into blocks of N characters (Unicode scalar
/// values; default 64 ≈ 16 tokens × 4 characters), and <c>hash[i] = XXH64(block[i] ‖ LE64(hash[i−1]))</c> (System.IO.Hashing's <see cref="XxHash64"/>) with
/// <c>hash[−1] = ModelSeed(model, lora)</c>, so equal hashes mean an equal model and an equal prefix up to that block.
/// Only complete blocks count; the chain stops at the destination's length (the max-blocks limit).</summary>
public static class PrefixHasher
{
    /// <summary>Characters per block by default (16 tokens × 4 characters, as the reference picker).</summary>
    public const int DefaultBlockCharacters = 64;

    /// <summary>Blocks hashed per request by default.</summary>
    public const int DefaultMaxBlocks = 256;

    private const int StackNameLimit = 512;

    /// <summary>Bytes of stack for one link's scratch (blocks of up to 254 four-byte characters); larger ones rent.</summary>
    private const int StackLimit = 1024;

    /// <summary>The chain's seed for a target model and optional LoRA adapter:
    /// <c>XXH64(UTF8(model) ‖ 0x00 ‖ UTF8(lora))</c>, or <c>XXH64(UTF8(model))</c> without an adapter.</summary>
    public static ulong ModelSeed(string model, string? lora = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var length = Encoding.UTF8.GetByteCount(model) + (string.IsNullOrEmpty(lora) ? 0 : 1 + Encoding.UTF8.GetByteCount(lora));
        byte[]? rented = null;
        Span<byte> buffer = length <= StackNameLimit ? stackalloc byte[StackNameLimit] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            var written = Encoding.UTF8.GetBytes(model, buffer);
            if (!string.IsNullOrEmpty(lora))
            {
                buffer[written++] = 0;
                written += Encoding.UTF8.GetBytes(lora, buffer[written..]);
            }
            return XxHash64.HashToUInt64(buffer[..written]);
        }
        finally
        {
            if (rented is not null)
                ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Computes the chain of <paramref name="utf8Prompt"/> into <paramref name="destination"/> (sized to the
    /// max-blocks limit) and returns how many hashes were written. Allocation-free.</summary>
    public static int Compute(ReadOnlySpan<byte> utf8Prompt, ulong modelSeed, Span<ulong> destination, int blockCharacters = DefaultBlockCharacters)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(blockCharacters, 1);
        // One scratch buffer for every link (block ‖ previous): a block is at most 4 bytes per character.
        var scratchBytes = (long)blockCharacters * 4 + sizeof(ulong);
        byte[]? rented = null;
        Span<byte> scratch = scratchBytes <= StackLimit ? stackalloc byte[StackLimit] : (rented = ArrayPool<byte>.Shared.Rent((int)Math.Min(int.MaxValue, scratchBytes)));
        try
        {
            var previous = modelSeed;
            var count = 0;
            while (count < destination.Length)
            {
                var blockLength = BlockLength(utf8Prompt, blockCharacters);
                if (blockLength < 0)
                    break;
                previous = ChainStep(utf8Prompt[..blockLength], previous, scratch);
                destination[count++] = previous;
                utf8Prompt = utf8Prompt[blockLength..];
            }
            return count;
        }
        finally
        {
            if (rented is not null)
                ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Computes the chain of a .NET string (encoded to UTF-8 in a pooled buffer; only the part the
    /// destination can hold is encoded).</summary>
    public static int Compute(string prompt, ulong modelSeed, Span<ulong> destination, int blockCharacters = DefaultBlockCharacters)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        // At most blocks × characters UTF-16 units can matter; each encodes to at most 3 UTF-8 bytes per unit.
        var chars = (int)Math.Min(prompt.Length, (long)destination.Length * blockCharacters * 2);
        var slice = prompt.AsSpan(0, chars);
        var rented = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(slice.Length));
        try
        {
            var length = Encoding.UTF8.GetBytes(slice, rented);
            return Compute(rented.AsSpan(0, length), modelSeed, destination, blockCharacters);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>One link of the chain: <c>XXH64(block ‖ LE64(previous))</c>, seed 0, joined in <paramref name="scratch"/>
    /// (at least the block's length + 8 bytes; one stack copy is cheaper than a streaming XxHash64 instance).</summary>
    internal static ulong ChainStep(ReadOnlySpan<byte> block, ulong previous, Span<byte> scratch)
    {
        var total = block.Length + sizeof(ulong);
        block.CopyTo(scratch);
        BinaryPrimitives.WriteUInt64LittleEndian(scratch[block.Length..], previous);
        return XxHash64.HashToUInt64(scratch[..total]);
    }

    /// <summary>Bytes in the canonical form of one chat message: <c>role ‖ '\n' ‖ content ‖ '\n'</c>.</summary>
    public static int ChatMessageLength(int roleBytes, int contentBytes) => roleBytes + contentBytes + 2;

    /// <summary>Writes one chat message in canonical form (<c>role ‖ '\n' ‖ content ‖ '\n'</c>, UTF-8); a chat request's
    /// prompt is its messages written in order, then hashed with <see cref="Compute(ReadOnlySpan{byte}, ulong, Span{ulong}, int)"/>.</summary>
    /// <returns>Bytes written.</returns>
    public static int WriteChatMessage(ReadOnlySpan<byte> roleUtf8, ReadOnlySpan<byte> contentUtf8, Span<byte> destination)
    {
        var length = ChatMessageLength(roleUtf8.Length, contentUtf8.Length);
        if (destination.Length < length)
            throw new ArgumentException("Destination too small for the chat message.", nameof(destination));
        roleUtf8.CopyTo(destination);
        destination[roleUtf8.Length] = (byte)'\n';
        contentUtf8.CopyTo(destination[(roleUtf8.Length + 1)..]);
        destination[length - 1] = (byte)'\n';
        return length;
    }

    /// <summary>The chain of a chat request given as (role, content) pairs, in canonical form.</summary>
    public static int ComputeChat(IReadOnlyList<(string Role, string Content)> messages, ulong modelSeed, Span<ulong> destination, int blockCharacters = DefaultBlockCharacters)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var builder = new StringBuilder();
        for (var i = 0; i < messages.Count; i++)
            builder.Append(messages[i].Role).Append('\n').Append(messages[i].Content).Append('\n');
        return Compute(builder.ToString(), modelSeed, destination, blockCharacters);
    }

    /// <summary>Bytes of the next block of <paramref name="characters"/> scalar values, or −1 if the rest is shorter.</summary>
    private static int BlockLength(ReadOnlySpan<byte> utf8, int characters)
    {
        if (utf8.Length < characters)
            return -1;
        // ASCII is the common case: a block is then exactly `characters` bytes (vectorised check).
        if (Ascii.IsValid(utf8[..characters]))
            return characters;
        var seen = 0;
        for (var i = 0; i < utf8.Length; i++)
        {
            if ((utf8[i] & 0xC0) == 0x80)
                continue; // continuation byte: same character
            if (seen == characters)
                return i;
            seen++;
        }
        return seen == characters ? utf8.Length : -1;
    }
}
