using Microsoft.Extensions.Time.Testing;

namespace InferenceMesh.PrefixIndex.Tests.KvEvents;

/// <summary>The consumer (NetMQ + MessagePack-CSharp) against an independent publisher (pyzmq + msgpack) speaking
/// vLLM's KV-events protocol: the exact set in Redis must match what was published, through late joins, gaps,
/// restarts, lost history, clears, endpoint removal and a writer handover.</summary>
public sealed class IndependentPublisherTests : IAsyncLifetime
{
    private const string Endpoint = "10.0.0.1:8000";
    private KvEventsConsumerFixture _fx = null!;
    private PythonKvPublisher _pub = null!;

    public async Task InitializeAsync()
    {
        // The publisher first: when python3-zmq is missing it throws, and no redis-server is left behind.
        _pub = await PythonKvPublisher.StartAsync();
        _fx = new KvEventsConsumerFixture();
    }

    public async Task DisposeAsync()
    {
        if (_fx is not null)
            await _fx.CloseAsync();
        _pub?.Dispose();
    }

    private (Uri, Uri)? Resolve(string endpoint) => endpoint == Endpoint ? (_pub.PublisherUri, _pub.ReplayUri) : null;

    private async Task StoreAsync(string text, int seed, int from, int to, bool drop = false)
    {
        var engine = KvTestText.EngineHashes(seed, to);
        await _pub.BatchAsync([PythonKvPublisher.Stored(engine[from..to], from == 0 ? null : engine[from - 1], KvTestText.Tokens(text, from, to))], drop);
    }

    /// <summary>Follows the endpoint and waits until <paramref name="text"/>'s first blocks, stored live, are in its set.</summary>
    private async Task FollowWithAsync(string text, int seed, int blocks)
    {
        await FollowAsync();
        await StoreAsync(text, seed, 0, blocks);
        await _fx.UntilSetAsync(Endpoint, KvTestText.PromptHashes(text)[..blocks], "the first live batch");
    }

    private async Task<Prefix.Index.Exact.ExactBlockSets> FollowAsync()
    {
        var consumer = await _fx.StartConsumerAsync(Resolve);
        consumer.Observe(KvEventsConsumerFixture.Snapshot(Endpoint));
        await Poll.UntilAsync(() => consumer.Following.Contains(Endpoint), "the consumer to follow the endpoint");
        return _fx.Sets;
    }

    [Fact]
    public async Task Batches_published_before_the_subscription_are_recovered_by_replay_and_live_ones_follow()
    {
        var a = KvTestText.Prompt(1, 3);
        await StoreAsync(a, 1, 0, 2);
        await FollowAsync();
        await _fx.UntilSetAsync(Endpoint, KvTestText.PromptHashes(a)[..2], "the replayed blocks");

        await StoreAsync(a, 1, 2, 3);
        await _fx.UntilSetAsync(Endpoint, KvTestText.PromptHashes(a), "the live block");
        await _pub.BatchAsync([PythonKvPublisher.Removed(KvTestText.EngineHashes(1, 3)[2])]);
        await _fx.UntilSetAsync(Endpoint, KvTestText.PromptHashes(a)[..2], "the removal");
    }

    [Fact]
    public async Task A_batch_missing_from_the_live_stream_is_fetched_by_replay()
    {
        var a = KvTestText.Prompt(2, 2);
        var b = KvTestText.Prompt(3, 1);
        await FollowWithAsync(a, 2, 2);

        // Numbered and buffered by the publisher but never sent: the next live batch reveals the gap.
        await _pub.BatchAsync([PythonKvPublisher.Removed(KvTestText.EngineHashes(2, 2)[1])], drop: true);
        await StoreAsync(b, 3, 0, 1);
        await _fx.UntilSetAsync(Endpoint, [KvTestText.PromptHashes(a)[0], .. KvTestText.PromptHashes(b)], "the dropped removal and the live store");
    }

    [Fact]
    public async Task A_publisher_restart_resets_the_set_to_what_the_new_process_reports()
    {
        var a = KvTestText.Prompt(4, 2);
        var b = KvTestText.Prompt(5, 1);
        await FollowWithAsync(a, 4, 2);

        await _pub.RestartAsync();
        await StoreAsync(b, 5, 0, 1);
        await _fx.UntilSetAsync(Endpoint, KvTestText.PromptHashes(b), "only the restarted process's blocks");
    }

    [Fact]
    public async Task A_gap_the_replay_buffer_lost_drops_the_unsure_state()
    {
        var a = KvTestText.Prompt(6, 2);
        var b = KvTestText.Prompt(7, 1);
        await FollowWithAsync(a, 6, 2);

        // A removal that never arrives and is no longer replayable: keeping a's blocks would claim evicted cache.
        var lost = await _pub.BatchAsync([PythonKvPublisher.Removed(KvTestText.EngineHashes(6, 2))], drop: true);
        await _pub.ForgetBelowAsync(lost + 1);
        await StoreAsync(b, 7, 0, 1);
        await _fx.UntilSetAsync(Endpoint, KvTestText.PromptHashes(b), "a set rebuilt from what follows the lost batch");
    }

    [Fact]
    public async Task AllBlocksCleared_empties_the_set_and_newer_vllm_fields_are_tolerated()
    {
        var a = KvTestText.Prompt(8, 1);
        var b = KvTestText.Prompt(9, 1);
        await FollowWithAsync(a, 8, 1);
        await _pub.BatchAsync([PythonKvPublisher.Cleared()]);
        // vLLM ≥ 0.10 appends lora_name, extra_keys, group_idx… to BlockStored.
        object?[] newer = [.. PythonKvPublisher.Stored(KvTestText.EngineHashes(9, 1), null, KvTestText.Tokens(b, 0, 1)), null, null, 0];
        await _pub.BatchAsync([newer, PythonKvPublisher.Stored([77UL], null, KvTestText.Tokens(a, 0, 1), loraId: 1)]);
        await _fx.UntilSetAsync(Endpoint, KvTestText.PromptHashes(b), "the store after the clear (the LoRA block unmapped)");
    }

    [Fact]
    public async Task An_endpoint_gone_from_its_pool_is_forgotten()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UnixEpoch);
        var consumer = await _fx.StartConsumerAsync(Resolve, time, removeAfterSeconds: 30);
        consumer.Observe(KvEventsConsumerFixture.Snapshot(Endpoint));
        await Poll.UntilAsync(() => consumer.Following.Contains(Endpoint), "the consumer to follow the endpoint");
        var a = KvTestText.Prompt(10, 1);
        await StoreAsync(a, 10, 0, 1);
        await _fx.UntilSetAsync(Endpoint, KvTestText.PromptHashes(a), "the store");

        time.Advance(TimeSpan.FromSeconds(31));
        consumer.Observe(KvEventsConsumerFixture.Snapshot("10.0.0.2:8000"));
        await Poll.UntilAsync(() => !consumer.Following.Contains(Endpoint), "the consumer to stop following");
        await _fx.UntilSetAsync(Endpoint, [], "the set deleted");
        var match = await _fx.Sets.MatchAsync(KvTestText.PromptHashes(a), [Endpoint]);
        Assert.Equal(new[] { -1 }, match);
    }

    [Fact]
    public async Task One_replica_writes_an_endpoint_and_another_takes_over_when_it_stops()
    {
        var first = await _fx.StartConsumerAsync(Resolve);
        first.Observe(KvEventsConsumerFixture.Snapshot(Endpoint));
        await Poll.UntilAsync(() => first.Following.Contains(Endpoint), "the first replica to follow");
        var second = await _fx.StartConsumerAsync(Resolve);
        second.Observe(KvEventsConsumerFixture.Snapshot(Endpoint));
        var a = KvTestText.Prompt(11, 2);
        await StoreAsync(a, 11, 0, 2);
        await _fx.UntilSetAsync(Endpoint, KvTestText.PromptHashes(a), "the store");
        Assert.DoesNotContain(Endpoint, second.Following);

        await _fx.StopAsync(first);
        second.Observe(KvEventsConsumerFixture.Snapshot(Endpoint));
        await Poll.UntilAsync(() => second.Following.Contains(Endpoint), "the second replica to take over");
        await _fx.UntilSetAsync(Endpoint, KvTestText.PromptHashes(a), "the set rebuilt by the new writer");
        var match = await _fx.Sets.MatchAsync(KvTestText.PromptHashes(a), [Endpoint]);
        Assert.Equal(new[] { 2 }, match);
    }
}
