using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using InferenceMesh.Prefix.Hashing;

namespace InferenceMesh.PrefixIndex.Tests.Hashing;

public sealed class PrefixHasherTests
{
    private static string Prompt(int seed, int length)
    {
        var random = new Random(seed);
        var sb = new StringBuilder(length);
        while (sb.Length < length)
            sb.Append((char)('a' + random.Next(26))).Append(random.Next(7) == 0 ? " " : "");
        return sb.ToString(0, length);
    }

    private static ulong[] Chain(string prompt, ulong seed, int max = 256, int block = 64)
    {
        var dest = new ulong[max];
        var n = PrefixHasher.Compute(Encoding.UTF8.GetBytes(prompt), seed, dest, block);
        return dest[..n];
    }

    /// <summary>XXH64(block ‖ LE64(previous)), written out.</summary>
    private static ulong Step(byte[] block, ulong previous)
    {
        var input = new byte[block.Length + 8];
        block.CopyTo(input, 0);
        BinaryPrimitives.WriteUInt64LittleEndian(input.AsSpan(block.Length), previous);
        return XxHash64.HashToUInt64(input);
    }

    [Theory]
    [InlineData(64)]
    [InlineData(300)] // a link bigger than the stack scratch: the rented path
    public void Compute_FollowsTheDocumentedChain(int block)
    {
        var prompt = Prompt(1, block * 3 + 10);
        var seed = PrefixHasher.ModelSeed("llama-3-8b");
        var chain = Chain(prompt, seed, block: block);

        Assert.Equal(3, chain.Length); // the partial fourth block is not hashed
        var bytes = Encoding.UTF8.GetBytes(prompt);
        var previous = seed;
        for (var i = 0; i < 3; i++)
        {
            var input = new byte[block + 8];
            bytes.AsSpan(i * block, block).CopyTo(input);
            BinaryPrimitives.WriteUInt64LittleEndian(input.AsSpan(block), previous);
            previous = XxHash64.HashToUInt64(input);
            Assert.Equal(previous, chain[i]);
        }
    }

    [Fact]
    public void ModelSeed_IsXxHashOfTheNameAndAdapter()
    {
        Assert.Equal(XxHash64.HashToUInt64("llama"u8), PrefixHasher.ModelSeed("llama"));
        Assert.Equal(XxHash64.HashToUInt64("llama\0sql-lora"u8), PrefixHasher.ModelSeed("llama", "sql-lora"));
        Assert.Equal(PrefixHasher.ModelSeed("llama"), PrefixHasher.ModelSeed("llama", ""));
        Assert.NotEqual(PrefixHasher.ModelSeed("llama"), PrefixHasher.ModelSeed("llama", "sql-lora"));
        var longName = new string('m', 3000);
        Assert.Equal(XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(longName)), PrefixHasher.ModelSeed(longName));
    }

    [Fact]
    public void Compute_GoldenValues_AreStableAcrossProcessesAndMachines()
    {
        // Pinned once and cross-checked with an independent (Python) implementation of the spec: a change here breaks
        // every shared index and every other replica's hashes.
        var chain = Chain(new string('x', 128), PrefixHasher.ModelSeed("model-a"));
        Assert.Equal([GoldenFirst, GoldenSecond], chain);
    }

    private const ulong GoldenFirst = 12232079300866029893UL;
    private const ulong GoldenSecond = 17101880541181976562UL;

    [Fact]
    public void Compute_SharedPrefix_SharesLeadingHashesThenDiverges()
    {
        var common = Prompt(2, 64 * 5);
        var a = Chain(common + Prompt(3, 64 * 4), 42);
        var b = Chain(common + Prompt(4, 64 * 4), 42);
        Assert.Equal(a[..5], b[..5]);
        for (var i = 5; i < 9; i++)
            Assert.NotEqual(a[i], b[i]);
    }

    [Fact]
    public void Compute_DifferentModel_ChangesEveryHash()
    {
        var prompt = Prompt(5, 64 * 4);
        var a = Chain(prompt, PrefixHasher.ModelSeed("a"));
        var b = Chain(prompt, PrefixHasher.ModelSeed("b"));
        for (var i = 0; i < a.Length; i++)
            Assert.NotEqual(a[i], b[i]);
    }

    [Fact]
    public void Compute_StopsAtTheDestinationLength()
    {
        var prompt = Prompt(6, 64 * 300);
        Assert.Equal(256, Chain(prompt, 1).Length);
        Assert.Equal(10, Chain(prompt, 1, max: 10).Length);
        Assert.Equal(Chain(prompt, 1)[..10], Chain(prompt, 1, max: 10));
        Assert.Equal(300 * 64 / 16, Chain(prompt, 1, max: 5000, block: 16).Length);
    }

    [Fact]
    public void Compute_NonAscii_CountsCharactersNotBytes()
    {
        // 64 characters of 2-, 3- and 4-byte UTF-8 per block.
        var block1 = string.Concat(Enumerable.Repeat("é", 64));
        var block2 = string.Concat(Enumerable.Repeat("語", 32)) + string.Concat(Enumerable.Repeat("😀", 32));
        var prompt = block1 + block2 + "tail";
        var chain = Chain(prompt, 9);
        Assert.Equal(2, chain.Length);
        var expected0 = Step(Encoding.UTF8.GetBytes(block1), 9);
        Assert.Equal(expected0, chain[0]);
        Assert.Equal(Step(Encoding.UTF8.GetBytes(block2), expected0), chain[1]);
    }

    [Fact]
    public void Compute_StringOverload_EqualsUtf8Overload()
    {
        var prompt = Prompt(7, 64 * 20 + 3) + "ünïcödé 語 😀" + Prompt(8, 500);
        var fromString = new ulong[256];
        var n = PrefixHasher.Compute(prompt, 5, fromString);
        Assert.Equal(Chain(prompt, 5), fromString[..n]);
    }

    [Fact]
    public void ChatCanonicalForm_IsRoleNewlineContentNewline()
    {
        var dest = new byte[64];
        var written = PrefixHasher.WriteChatMessage("user"u8, "hi"u8, dest);
        Assert.Equal("user\nhi\n", Encoding.UTF8.GetString(dest, 0, written));
        Assert.Equal(written, PrefixHasher.ChatMessageLength(4, 2));

        var messages = new List<(string, string)> { ("system", Prompt(9, 100)), ("user", Prompt(10, 200)) };
        var chat = new ulong[256];
        var count = PrefixHasher.ComputeChat(messages, 3, chat);
        Assert.Equal(Chain($"system\n{messages[0].Item2}\nuser\n{messages[1].Item2}\n", 3), chat[..count]);
    }

    [Fact]
    public void Compute_Utf8Path_DoesNotAllocate()
    {
        var bytes = Encoding.UTF8.GetBytes(Prompt(11, 220 * 1024));
        var dest = new ulong[256];
        PrefixHasher.Compute(bytes, 1, dest);
        var before = GC.GetAllocatedBytesForCurrentThread();
        var n = PrefixHasher.Compute(bytes, 1, dest);
        var seed = PrefixHasher.ModelSeed("some-model", "adapter");
        var after = GC.GetAllocatedBytesForCurrentThread();
        Assert.Equal(256, n);
        Assert.NotEqual(0UL, seed);
        Assert.Equal(0, after - before);
    }
}
