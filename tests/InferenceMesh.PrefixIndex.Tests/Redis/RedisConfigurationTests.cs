using System.Net;
using InferenceMesh.Prefix.Index;
using InferenceMesh.Prefix.Index.Redis;
using StackExchange.Redis;

namespace InferenceMesh.PrefixIndex.Tests.Redis;

public sealed class RedisConfigurationTests
{
    [Fact]
    public void For_AppliesTheIndexDefaults()
    {
        var configuration = RedisConfiguration.For(new PrefixIndexOptions { Backend = "redis", Redis = "cache:6380", RedisTimeoutMs = 250 });
        Assert.Equal(new DnsEndPoint("cache", 6380), Assert.Single(configuration.EndPoints));
        Assert.False(configuration.AbortOnConnectFail);
        Assert.Equal((250, 250), (configuration.SyncTimeout, configuration.AsyncTimeout));
        Assert.Equal("prefix-index", configuration.ClientName);
        Assert.Same(BacklogPolicy.FailFast, configuration.BacklogPolicy);
    }

    [Theory]
    [InlineData("h:1,password=p,user=u,ssl=true,sslHost=x,protocol=resp3,defaultDatabase=3,name=n,connectTimeout=700")]
    [InlineData("h:1,password=p,user=u,tls=true,tlsHost=x,protocol=3,db=3,name=n,connectTimeout=700")]
    public void Parse_NativeKeysAndTheEarlierAliases_MeanTheSame(string connectionString)
    {
        var c = RedisConfiguration.Parse(connectionString);
        Assert.Equal(("u", "p", true, "x", RedisProtocol.Resp3, 3, "n", 700),
            (c.User, c.Password, c.Ssl, c.SslHost, c.Protocol, c.DefaultDatabase, c.ClientName, c.ConnectTimeout));
    }

    [Fact]
    public void Parse_CommandTimeoutAlias_SetsBothTimeouts()
    {
        var c = RedisConfiguration.Parse("h:1,commandTimeout=123");
        Assert.Equal((123, 123), (c.SyncTimeout, c.AsyncTimeout));
    }

    [Theory]
    [InlineData("redis://h:7000", 7000, null, null, false, null)]
    [InlineData("rediss://u:p%40ss@h/4", 6379, "u", "p@ss", true, 4)]
    [InlineData("redis://onlypassword@h:1", 1, null, "onlypassword", false, null)]
    public void Parse_Uri(string uri, int port, string? user, string? password, bool ssl, int? db)
    {
        var c = RedisConfiguration.Parse(uri);
        Assert.Equal(new DnsEndPoint("h", port), Assert.Single(c.EndPoints));
        Assert.Equal((user, password, ssl, db), (c.User, c.Password, c.Ssl, c.DefaultDatabase));
    }

    [Theory]
    [InlineData("h:1,bogus=1", "bogus")]
    [InlineData("redis://h:1/x", "database")]
    [InlineData(" ", "empty")]
    public void Parse_Malformed_ThrowsFormatExceptionNamingThePart(string connectionString, string named)
    {
        var error = Assert.Throws<FormatException>(() => RedisConfiguration.Parse(connectionString));
        Assert.Contains(named, error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("WRONGTYPE Operation against a key holding the wrong kind of value script: 6163…, on @user_script:1.", "WRONGTYPE")]
    [InlineData("ERR Lua encountered an error: WRONGTYPE Operation against a key holding the wrong kind of value.", "WRONGTYPE")]
    [InlineData("BUSYKEY custom", "BUSYKEY")]
    [InlineData("ERR BUSYKEY custom", "BUSYKEY")]
    [InlineData("NOSCRIPT No matching script. Please use EVAL.", "NOSCRIPT")]
    [InlineData("ERR value is not a valid float", "ERR")]
    [InlineData("ERR Lua encountered an error: ?:-1: attempt to perform arithmetic on a nil value", "ERR")]
    [InlineData("ERR user_script:1: attempt to perform arithmetic on a nil value script: cd20…", "ERR")]
    public void ErrorCode_IsTheSameForRedisAndGarnetWording(string message, string code)
        => Assert.Equal(code, RedisErrors.Code(message));
}
