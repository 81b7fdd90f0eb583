using InferenceMesh.PrefixIndex.Tests.Infrastructure;
using Microsoft.Extensions.Options;

namespace InferenceMesh.PrefixIndex.Tests.Service;

/// <summary>Bad Redis (or capacity feedback) configuration fails the start of the real service host with a message naming the key.</summary>
public sealed class PrefixIndexOptionsStartupTests
{
    [Theory]
    [InlineData("127.0.0.1:6379,bogus=1", null, "PrefixIndex:Redis", "bogus")]
    [InlineData("redis://127.0.0.1:6379/notadb", null, "PrefixIndex:Redis", "database")]
    [InlineData(null, null, "PrefixIndex:Redis", "required")]
    [InlineData("127.0.0.1:6379,ssl=true", "/nonexistent/ca.pem", "PrefixIndex:RedisCaCertificate", "does not exist")]
    public async Task BadRedisSettings_FailTheStart_NamingTheKey(string? redis, string? ca, string key, string reason)
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => PrefixIndexHost.StartAsync(new Dictionary<string, string?>
        {
            ["PrefixIndex:Backend"] = "redis",
            ["PrefixIndex:Redis"] = redis ?? "",
            ["PrefixIndex:RedisCaCertificate"] = ca,
        }));
        Assert.Contains(key, error.Message, StringComparison.Ordinal);
        Assert.Contains(reason, error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("MinCapacity", "5000000", "PrefixIndex:MinCapacity", "MaxCapacity")]
    [InlineData("MinCapacity", "0", "PrefixIndex:MinCapacity", "between")]
    [InlineData("MaxCapacity", "100", "PrefixIndex:MinCapacity", "MaxCapacity")]
    [InlineData("CapacityGrowPerBlock", "-0.5", "PrefixIndex:CapacityGrowPerBlock", "between")]
    [InlineData("CapacityShrinkPerBlock", "1000", "PrefixIndex:CapacityShrinkPerBlock", "between")]
    public async Task BadCapacityFeedbackSettings_FailTheStart_NamingTheKey(string setting, string value, string key, string reason)
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => PrefixIndexHost.StartAsync(new Dictionary<string, string?>
        {
            ["PrefixIndex:Backend"] = "memory",
            ["PrefixIndex:" + setting] = value,
        }));
        Assert.Contains(key, error.Message, StringComparison.Ordinal);
        Assert.Contains(reason, error.Message, StringComparison.OrdinalIgnoreCase);
    }
}
