using InferenceMesh.VllmSim;

namespace InferenceMesh.Sim.Tests.Sim;

public sealed class EnginePhysicsTests
{
    private static SimServer NewServer(SimProfile? profile = null, int maxLoras = 1, params string[] loras)
    {
        var modules = new List<LoraModule>();
        foreach (var l in loras)
            modules.Add(new LoraModule(l, "/adapters/" + l));
        return new SimServer(new SimServerOptions { Profile = profile ?? SimProfile.L20, LoraModules = modules, MaxLoras = maxLoras });
    }

    private static SimRequest Run(SimServer server, SimRequest request)
    {
        server.Submit(request);
        server.RunUntilIdle();
        return request;
    }

    [Fact]
    public void RepeatedPrompt_SecondTtftLower_AndHitsRiseByCachedTokens()
    {
        var server = NewServer();
        var prompt = SimPrompt.FromText(new string('x', 4000) + "tail of the prompt");
        var first = Run(server, new SimRequest("a", prompt, 10));
        Assert.Equal(0, first.CachedTokens);
        var hitsBefore = server.PrefixCacheHits;

        server.AdvanceTo(server.NowMs + 1000);
        var second = Run(server, new SimRequest("b", prompt, 10));

        var expectedCached = Math.Min(prompt.BlockHashes.Length * 16, (prompt.TokenCount - 1) / 16 * 16);
        Assert.Equal(expectedCached, second.CachedTokens);
        Assert.Equal(hitsBefore + expectedCached, server.PrefixCacheHits);
        Assert.True(second.TtftMs < first.TtftMs / 2, $"second TTFT {second.TtftMs} vs first {first.TtftMs}");
        Assert.Equal(2L * prompt.TokenCount, server.PrefixCacheQueries);
    }
}
