using InferenceMesh.PrefixIndex.KvEvents;

namespace InferenceMesh.PrefixIndex.Tests.KvEvents;

public sealed class KvEventSequencerTests
{
    private sealed class Recorder : ISequencerActions
    {
        public List<string> Log { get; } = [];

        public void Apply(long sequence, ReadOnlyMemory<byte> payload) => Log.Add($"apply {sequence}");

        public void RequestReplay(long fromSequence) => Log.Add($"replay {fromSequence}");

        public void Reset() => Log.Add("reset");
    }

    private static readonly byte[] P = [1];

    private static (KvEventSequencer, Recorder) Started()
    {
        var r = new Recorder();
        var s = new KvEventSequencer(r);
        s.Begin();
        s.OnReplay(-1, default);
        r.Log.Clear();
        return (s, r);
    }

    [Fact]
    public void Begin_replays_from_zero_and_holds_live_batches_until_the_end_marker()
    {
        var r = new Recorder();
        var s = new KvEventSequencer(r);
        s.Begin();
        s.OnLive(2, P);
        s.OnReplay(0, P);
        s.OnReplay(1, P);
        Assert.True(s.Replaying);
        s.OnReplay(-1, default);
        Assert.Equal(["replay 0", "apply 0", "apply 1", "apply 2"], r.Log);
        Assert.Equal(2, s.Last);
    }

    [Fact]
    public void CatchUp_until_the_first_live_batch_fetches_what_the_late_subscription_missed()
    {
        var (s, r) = Started();
        // Published after the first replay was answered, before the subscription took effect: only a replay has it.
        s.CatchUp();
        Assert.True(s.Replaying);
        s.OnReplay(0, P);
        s.OnReplay(-1, default);
        s.CatchUp();
        s.OnReplay(-1, default);
        s.OnLive(1, P);
        s.CatchUp();
        Assert.Equal(["replay 0", "apply 0", "replay 1", "apply 1"], r.Log);
    }

    [Fact]
    public void CatchUp_asks_nothing_of_a_publisher_that_does_not_answer_or_while_a_replay_is_out()
    {
        var r = new Recorder();
        var s = new KvEventSequencer(r);
        s.Begin();
        s.CatchUp();
        s.OnReplayTimeout();
        s.CatchUp();
        Assert.Equal(["replay 0"], r.Log);
    }

    [Fact]
    public void Gap_requests_replay_from_the_next_expected_number_and_applies_each_batch_once()
    {
        var (s, r) = Started();
        s.OnLive(0, P);
        s.OnLive(3, P);
        s.OnLive(4, P);
        s.OnReplay(1, P);
        s.OnReplay(2, P);
        s.OnReplay(3, P);
        s.OnReplay(4, P);
        s.OnReplay(-1, default);
        Assert.Equal(["apply 0", "replay 1", "apply 1", "apply 2", "apply 3", "apply 4"], r.Log);
    }

    [Fact]
    public void Number_at_or_below_the_last_is_a_publisher_restart_and_resets()
    {
        var (s, r) = Started();
        s.OnLive(0, P);
        s.OnLive(1, P);
        s.OnLive(0, P);
        Assert.Equal(["apply 0", "apply 1", "reset", "apply 0"], r.Log);
    }

    [Fact]
    public void Replay_that_no_longer_covers_the_gap_resets_then_continues()
    {
        var (s, r) = Started();
        s.OnLive(0, P);
        s.OnLive(5, P);
        s.OnReplay(3, P);
        s.OnReplay(-1, default);
        Assert.Equal(["apply 0", "replay 1", "reset", "apply 3", "reset", "apply 5"], r.Log);
    }

    [Fact]
    public void Replay_timeout_continues_with_what_arrived()
    {
        var (s, r) = Started();
        s.OnLive(0, P);
        s.OnLive(2, P);
        s.OnReplay(1, P);
        s.OnReplayTimeout();
        Assert.False(s.Replaying);
        Assert.Equal(["apply 0", "replay 1", "apply 1", "apply 2"], r.Log);
    }
}
