using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace InferenceMesh.PrefixIndex.Tests.KvEvents;

/// <summary>Drives tests/peers/kv_events_publisher.py (pyzmq + msgpack): an independent vLLM KV-event publisher.</summary>
internal sealed class PythonKvPublisher : IDisposable
{
    private readonly Process _process;

    private PythonKvPublisher(Process process, int publisherPort, int replayPort)
    {
        _process = process;
        PublisherUri = new Uri($"tcp://127.0.0.1:{publisherPort}");
        ReplayUri = new Uri($"tcp://127.0.0.1:{replayPort}");
    }

    public Uri PublisherUri { get; }

    public Uri ReplayUri { get; }

    public static async Task<PythonKvPublisher> StartAsync(string topic = "kv-events")
    {
        var info = new ProcessStartInfo("/usr/bin/python3")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = false,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("-u");
        info.ArgumentList.Add(RepoPaths.Path("tests", "peers", "kv_events_publisher.py"));
        info.ArgumentList.Add(topic);
        var process = Process.Start(info) ?? throw new InvalidOperationException("python3 did not start");
        var first = await process.StandardOutput.ReadLineAsync().WaitAsync(Poll.DefaultTimeout).ConfigureAwait(false)
            ?? throw new InvalidOperationException("the publisher exited (are python3-zmq and python3-msgpack installed? ./run.sh test installs them)");
        var parts = first.Split(' ');
        return new PythonKvPublisher(process, int.Parse(parts[1], CultureInfo.InvariantCulture), int.Parse(parts[2], CultureInfo.InvariantCulture));
    }

    /// <summary>Publishes one batch; returns its sequence number. <paramref name="drop"/>: numbered and buffered for
    /// replay, but never sent on the PUB socket (a gap the subscriber sees).</summary>
    public async Task<long> BatchAsync(IReadOnlyList<object?[]> events, bool drop = false)
    {
        var answer = await SendAsync(JsonSerializer.Serialize(new Dictionary<string, object> { ["op"] = "batch", ["events"] = events, ["drop"] = drop })).ConfigureAwait(false);
        return answer;
    }

    public Task RestartAsync() => SendAsync("""{"op":"restart"}""");

    public Task ForgetBelowAsync(long sequence) => SendAsync($$"""{"op":"forget","below":{{sequence}}}""");

    public static object?[] Stored(ulong[] hashes, ulong? parent, ulong[] tokens, int blockSize = 16, long? loraId = null) =>
        ["BlockStored", hashes, parent, tokens, blockSize, loraId, "GPU"];

    public static object?[] Removed(params ulong[] hashes) => ["BlockRemoved", hashes, "GPU"];

    public static object?[] Cleared() => ["AllBlocksCleared"];

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
                _process.Kill();
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }

    private async Task<long> SendAsync(string json)
    {
        await _process.StandardInput.WriteLineAsync(json).ConfigureAwait(false);
        await _process.StandardInput.FlushAsync().ConfigureAwait(false);
        var line = await _process.StandardOutput.ReadLineAsync().WaitAsync(Poll.DefaultTimeout).ConfigureAwait(false)
            ?? throw new InvalidOperationException("the publisher exited");
        return long.Parse(line.AsSpan(3), CultureInfo.InvariantCulture);
    }
}
