using System.Net.Http.Json;
using System.Text.Json;
using InferenceMesh.VllmSim;
using InferenceMesh.VllmSim.Http;
using Microsoft.Extensions.Time.Testing;

namespace InferenceMesh.Sim.Tests.Sim;

public sealed class TimeScaleTests
{
    private static async Task<(double SimNow, double TtftSum, double E2eSum)> RunOneAsync(double scale)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using var host = await SimFleetHost.StartAsync(new SimHostOptions { Port = 0, TimeScale = scale }, time);
        using var http = new HttpClient { BaseAddress = host.BaseAddresses[0] };
        var prompt = new string('q', 4000);
        var call = http.PostAsJsonAsync("/v1/completions", new { model = "Qwen/Qwen2.5-7B-Instruct", prompt, max_tokens = 20 });
        // Wait until the request is queued (arrival at simulated time 0), then let 2 s of wall time pass.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (host.Inspect(f => f.Servers[0].RequestsReceived) == 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "request never arrived");
            await Task.Delay(10);
        }
        time.Advance(TimeSpan.FromSeconds(2));
        using var response = await call.WaitAsync(TimeSpan.FromSeconds(60));
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(20, body.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        return (host.SimNowMs, host.Inspect(f => f.Servers[0].TimeToFirstToken.Sum), host.Inspect(f => f.Servers[0].E2eLatency.Sum));
    }

    [Fact]
    public async Task SimulatedTime_RunsKTimesWallTime_AndLatenciesStayInSimulatedTime()
    {
        var slow = await RunOneAsync(1);
        var fast = await RunOneAsync(50);
        Assert.Equal(2_000, slow.SimNow, 6);
        Assert.Equal(100_000, fast.SimNow, 6);
        // The same request has the same simulated latency whatever the scale.
        Assert.Equal(slow.TtftSum, fast.TtftSum, 9);
        Assert.Equal(slow.E2eSum, fast.E2eSum, 9);

        // ...and it equals the engine's virtual-time answer.
        var server = new SimServer(new SimServerOptions());
        var r = new SimRequest("v", SimPrompt.FromText(new string('q', 4000)), 20);
        server.Submit(r);
        server.RunUntilIdle();
        Assert.Equal(r.TtftMs / 1000, fast.TtftSum, 9);
    }
}
