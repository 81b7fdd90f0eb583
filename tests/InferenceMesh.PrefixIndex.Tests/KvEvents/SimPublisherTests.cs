using InferenceMesh.VllmSim.Http;

namespace InferenceMesh.PrefixIndex.Tests.KvEvents;

/// <summary>vllm-sim's own publisher (NetMQ) feeding the consumer: what a prompt sent over HTTP leaves in the engine's
/// cache appears in Redis as the same prompt-block hashes ext-proc computes from the text.</summary>
public sealed class SimPublisherTests : IAsyncLifetime
{
    private KvEventsConsumerFixture _fx = null!;
    private SimFleetHost _host = null!;

    public async Task InitializeAsync()
    {
        _fx = new KvEventsConsumerFixture();
        _host = await KvTestSim.StartAsync(numGpuBlocks: 40);
    }

    public async Task DisposeAsync()
    {
        await _fx.CloseAsync();
        await _host.DisposeAsync();
    }

    [Fact]
    public async Task Completions_on_the_simulator_appear_as_prompt_block_hashes_and_evictions_leave()
    {
        var endpoint = _host.BaseAddresses[0].Authority;
        var publisher = KvTestSim.Publisher(_host);
        var consumer = await _fx.StartConsumerAsync(e => e == endpoint ? publisher : null);
        consumer.Observe(KvEventsConsumerFixture.Snapshot(endpoint));
        await Poll.UntilAsync(() => consumer.Following.Contains(endpoint), "the consumer to follow the simulator");

        var first = KvTestText.Prompt(20, 3) + " and a tail";
        await KvTestSim.CompleteAsync(_host, first);
        await _fx.UntilSetAsync(endpoint, KvTestText.PromptHashes(first), "the first prompt's three blocks");

        // 40 blocks: four more 10-block prompts push the first one out.
        for (var i = 0; i < 4; i++)
            await KvTestSim.CompleteAsync(_host, KvTestText.Prompt(30 + i, 10));
        await Poll.UntilAsync(async () =>
        {
            var held = await _fx.Sets.MembersAsync(endpoint);
            var cached = _host.Inspect(f => f.Servers[0].CachedBlocks);
            return held.Count == cached && !held.Overlaps(KvTestText.PromptHashes(first));
        }, "the set to follow the engine's evictions");
    }
}
