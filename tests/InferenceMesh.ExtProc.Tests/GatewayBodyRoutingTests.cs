using System.Net;
using System.Text;
using InferenceMesh.Gateway;

namespace InferenceMesh.ExtProc.Tests;

/// <summary>The seeds' multi-pool Gateway on loopback: the development gateway chains the body-based router (ext-proc in
/// body-routing mode) before route selection, then the HTTPRoute rules on <c>X-Gateway-Model-Name</c> (<c>Exact: qwen</c>,
/// <c>RegularExpression: travel-helper.*</c>) pick one of two InferencePools, each with its own picker and model server.</summary>
public sealed class GatewayBodyRoutingTests : IAsyncLifetime, IDisposable
{
    private BodyRoutingHost _router = null!;
    private ExtProcTestHost _qwenPicker = null!;
    private ExtProcTestHost _travelPicker = null!;
    private FakeModelServer _qwenServer = null!;
    private FakeModelServer _travelServer = null!;
    private GatewayHost _gateway = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _qwenServer = await FakeModelServer.StartAsync();
        _travelServer = await FakeModelServer.StartAsync();
        _router = await BodyRoutingHost.StartAsync();
        _qwenPicker = await ExtProcTestHost.StartAsync(new Dictionary<string, string?> { ["ExtProc:Pool"] = "qwen-pool" });
        _qwenPicker.Scheduler.Handler = (_, _) => Task.FromResult(FakeSchedulingService.Scheduled(_qwenServer.Address));
        _travelPicker = await ExtProcTestHost.StartAsync(new Dictionary<string, string?> { ["ExtProc:Pool"] = "travel-helper-pool" });
        _travelPicker.Scheduler.Handler = (_, _) => Task.FromResult(FakeSchedulingService.Scheduled(_travelServer.Address));
        _gateway = await GatewayHost.StartAsync(new GatewayOptions
        {
            Port = 0,
            // The default picker is never used once routes exist; point it at the qwen pool's to prove that.
            ExtProcAddress = _qwenPicker.GrpcAddress.ToString(),
            BodyRoutingAddress = _router.GrpcAddress.ToString(),
            Routes =
            [
                new GatewayRouteOptions { Exact = "qwen", ExtProcAddress = _qwenPicker.GrpcAddress.ToString() },
                new GatewayRouteOptions { RegularExpression = "travel-helper.*", ExtProcAddress = _travelPicker.GrpcAddress.ToString() },
            ],
        });
        _client = new HttpClient { BaseAddress = _gateway.Address, Timeout = TimeSpan.FromSeconds(60) };
    }

    public void Dispose() => _client?.Dispose();

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _qwenPicker.DisposeAsync();
        await _travelPicker.DisposeAsync();
        await _router.DisposeAsync();
        await _qwenServer.DisposeAsync();
        await _travelServer.DisposeAsync();
    }

    private Task<HttpResponseMessage> PostAsync(string model, string prompt) =>
        _client.PostAsync("/v1/completions", new StringContent($$"""{"prompt":"{{prompt}}","model":"{{model}}","max_tokens":4}""", Encoding.UTF8, "application/json"));

    [Fact]
    public async Task TwoModels_AreRoutedToTheirOwnPools()
    {
        using (var qwen = await PostAsync("qwen", "to the base model"))
        {
            Assert.Equal(HttpStatusCode.OK, qwen.StatusCode);
            Assert.Equal(_qwenServer.Address, qwen.Headers.GetValues(GatewayHeaders.ServedBy).Single());
        }
        using (var travel = await PostAsync("travel-helper-v1", "to the adapter"))
        {
            Assert.Equal(HttpStatusCode.OK, travel.StatusCode);
            Assert.Equal(_travelServer.Address, travel.Headers.GetValues(GatewayHeaders.ServedBy).Single());
        }

        // Each pool's picker saw only its own model, and each model server got the body whole.
        Assert.Equal("qwen", Assert.Single(_qwenPicker.Scheduler.Requests).Model);
        Assert.Equal("travel-helper-v1", Assert.Single(_travelPicker.Scheduler.Requests).Model);
        Assert.Contains("to the base model", FakeModelServer.Text(Assert.Single(_qwenServer.Bodies)), StringComparison.Ordinal);
        Assert.Contains("to the adapter", FakeModelServer.Text(Assert.Single(_travelServer.Bodies)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClientHeader_IsOverwrittenByTheBodysModel()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions")
        {
            Content = new StringContent("""{"model":"travel-helper-v2","prompt":"spoof"}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Gateway-Model-Name", "qwen");
        using var response = await _client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(_travelServer.Address, response.Headers.GetValues(GatewayHeaders.ServedBy).Single());
        Assert.Empty(_qwenPicker.Scheduler.Requests);
    }

    [Fact]
    public async Task ModelWithoutRoute_Is404AndReachesNoPicker()
    {
        using var response = await PostAsync("deepseek-r1", "nobody serves me");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Empty(_qwenPicker.Scheduler.Requests);
        Assert.Empty(_travelPicker.Scheduler.Requests);
    }
}
