using System.Text;
using InferenceMesh.VllmSim;
using InferenceMesh.VllmSim.Http;

namespace InferenceMesh.PrefixIndex.Tests.KvEvents;

/// <summary>A one-server vllm-sim HTTP fleet serving <see cref="KvTestText.Model"/> that publishes KV events, and
/// completions sent to it.</summary>
internal static class KvTestSim
{
    public static Task<SimFleetHost> StartAsync(int numGpuBlocks) => SimFleetHost.StartAsync(new SimHostOptions
    {
        Servers = 1,
        Port = 0,
        TimeScale = 100,
        KvEventsPortOffset = 1,
        Server = new SimServerOptions { ModelName = KvTestText.Model, Profile = SimProfile.L20 with { NumGpuBlocks = numGpuBlocks } },
    });

    /// <summary>The server's publisher and replay addresses.</summary>
    public static (Uri Publisher, Uri Replay) Publisher(SimFleetHost host)
    {
        var p = host.KvEventPublishers[0];
        return (new Uri($"tcp://127.0.0.1:{p.PublisherPort}"), new Uri($"tcp://127.0.0.1:{p.ReplayPort}"));
    }

    /// <summary>A <c>/v1/completions</c> request of <paramref name="prompt"/> (2 tokens out), answered 2xx.</summary>
    public static async Task CompleteAsync(SimFleetHost host, string prompt)
    {
        using var http = new HttpClient { BaseAddress = host.BaseAddresses[0] };
        var body = $$"""{"model":"{{KvTestText.Model}}","prompt":"{{prompt}}","max_tokens":2}""";
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await http.PostAsync(new Uri("/v1/completions", UriKind.Relative), content);
        response.EnsureSuccessStatusCode();
    }
}
