using System.Buffers;
using System.Text;
using InferenceMesh.Redis;

namespace InferenceMesh.PrefixIndex.Tests.Redis;

public sealed class RespParserTests
{
    private static RedisValue ParseWhole(string resp)
    {
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(resp)));
        Assert.True(RespParser.TryRead(ref reader, out var value));
        Assert.True(reader.End);
        return value;
    }

    [Theory]
    [InlineData("+OK\r\n")]
    [InlineData("$5\r\nhello\r\n")]
    [InlineData("*3\r\n:1\r\n$-1\r\n*2\r\n+a\r\n$1\r\nb\r\n")]
    [InlineData("%2\r\n+k\r\n,1.5\r\n+t\r\n#t\r\n")]
    [InlineData("|1\r\n+ttl\r\n:10\r\n$2\r\nok\r\n")]
    [InlineData("=15\r\ntxt:Some string\r\n")]
    [InlineData("(3492890328409238509324850943850943825024385\r\n")]
    [InlineData("~2\r\n+a\r\n_\r\n")]
    [InlineData("!21\r\nSYNTAX invalid syntax\r\n")]
    public void TryRead_EveryPrefix_IsIncompleteUntilTheLastByte(string resp)
    {
        var bytes = Encoding.UTF8.GetBytes(resp);
        for (var cut = 0; cut < bytes.Length; cut++)
        {
            var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(bytes, 0, cut));
            Assert.False(RespParser.TryRead(ref reader, out _), $"complete after {cut} of {bytes.Length} bytes");
        }
        ParseWhole(resp);
    }

    [Fact]
    public void TryRead_Resp3Types_AreTyped()
    {
        var map = ParseWhole("%2\r\n+k\r\n,1.5\r\n+t\r\n#t\r\n");
        Assert.Equal(RespType.Map, map.Type);
        Assert.Equal(1.5, map.AsMap()["k"].AsDouble());
        Assert.True(map.AsMap()["t"].AsBoolean());

        Assert.Equal("ok", ParseWhole("|1\r\n+ttl\r\n:10\r\n$2\r\nok\r\n").AsString());
        Assert.Equal("Some string", ParseWhole("=15\r\ntxt:Some string\r\n").AsString());
        Assert.Equal(RespType.Error, ParseWhole("!21\r\nSYNTAX invalid syntax\r\n").Type);
        Assert.Equal(double.PositiveInfinity, ParseWhole(",inf\r\n").AsDouble());
        Assert.True(ParseWhole("*-1\r\n").IsNull);
        Assert.Equal(RespType.Push, ParseWhole(">2\r\n+invalidate\r\n*0\r\n").Type);
    }

    [Fact]
    public void TryRead_GarbageMarker_Throws()
    {
        Assert.Throws<InvalidDataException>(() => ParseWhole("?oops\r\n"));
    }

    [Fact]
    public void Options_Parse_ReadsConnectionStringsAndUris()
    {
        var o = RedisOptions.Parse("cache.local:6380,user=alice,password=pw,ssl=true,protocol=3,db=2,connectTimeout=750");
        Assert.Equal(("cache.local", 6380, "alice", "pw", true, 3, 2), (o.Host, o.Port, o.User, o.Password, o.UseTls, o.Protocol, o.Database));
        Assert.Equal(TimeSpan.FromMilliseconds(750), o.ConnectTimeout);
        Assert.DoesNotContain("pw", o.ToString(), StringComparison.Ordinal);

        var u = RedisOptions.Parse("rediss://bob:p%40ss@10.0.0.1:7000/3");
        Assert.Equal(("10.0.0.1", 7000, "bob", "p@ss", true, 3), (u.Host, u.Port, u.User, u.Password, u.UseTls, u.Database));

        Assert.Equal(6379, RedisOptions.Parse("localhost").Port);
        Assert.Throws<FormatException>(() => RedisOptions.Parse("localhost,bogus=1"));
        Assert.Throws<FormatException>(() => RedisOptions.Parse("localhost,protocol=4"));
    }
}
