using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;
using InferenceMesh.Prefix.Hashing;

namespace InferenceMesh.PrefixIndex.Tests.Hashing;

/// <summary>The hash the prefix chain is built on (System.IO.Hashing's XxHash64) against xxHash's published vectors,
/// and the chain step against the plain hash of the concatenation.</summary>
public sealed class XxHash64Tests
{
    private const ulong Prime32 = 2654435761UL;

    /// <summary>xxhsum's sanity buffer: byte i = top byte of a generator multiplied by PRIME64_1 each step.</summary>
    private static byte[] SanityBuffer(int length)
    {
        var buffer = new byte[length];
        ulong generator = Prime32;
        for (var i = 0; i < length; i++)
        {
            buffer[i] = (byte)(generator >> 56);
            generator *= 11400714785074694797UL;
        }
        return buffer;
    }

    // xxHash's own sanity vectors (xxhsum / cli/xsum_sanity_check.c, BMK_testXXH64).
    [Theory]
    [InlineData(0, 0UL, 0xEF46DB3751D8E999UL)]
    [InlineData(0, Prime32, 0xAC75FDA2929B17EFUL)]
    [InlineData(1, 0UL, 0xE934A84ADB052768UL)]
    [InlineData(1, Prime32, 0x5014607643A9B4C3UL)]
    [InlineData(4, 0UL, 0x9136A0DCA57457EEUL)]
    [InlineData(14, 0UL, 0x8282DCC4994E35C8UL)]
    [InlineData(14, Prime32, 0xC3BD6BF63DEB6DF0UL)]
    [InlineData(222, 0UL, 0xB641AE8CB691C174UL)]
    [InlineData(222, Prime32, 0x20CB8AB7AE10C14AUL)]
    public void Hash_SanityBuffer_MatchesPublishedVector(int length, ulong seed, ulong expected)
    {
        Assert.Equal(expected, XxHash64.HashToUInt64(SanityBuffer(length), unchecked((long)seed)));
    }

    [Theory]
    [InlineData("", 0xEF46DB3751D8E999UL)]
    [InlineData("a", 0xD24EC4F1A98C6E5BUL)]
    [InlineData("abc", 0x44BC2CF5AD770999UL)]
    public void Hash_KnownStrings_MatchPublishedValues(string text, ulong expected)
    {
        Assert.Equal(expected, XxHash64.HashToUInt64(Encoding.ASCII.GetBytes(text)));
    }

    [Fact]
    public void ChainStep_EqualsHashOfBlockAndLittleEndianPrevious_ForEveryLength()
    {
        var data = SanityBuffer(1200);
        var scratch = new byte[data.Length + 8];
        for (var length = 0; length <= data.Length; length += length < 80 ? 1 : 97)
        {
            scratch.AsSpan().Fill(0xA5); // a reused scratch buffer's old contents must not matter
            var joined = new byte[length + 8];
            data.AsSpan(0, length).CopyTo(joined);
            BinaryPrimitives.WriteUInt64LittleEndian(joined.AsSpan(length), 0x0123456789ABCDEFUL);
            Assert.Equal(XxHash64.HashToUInt64(joined), PrefixHasher.ChainStep(data.AsSpan(0, length), 0x0123456789ABCDEFUL, scratch));
        }
    }
}
