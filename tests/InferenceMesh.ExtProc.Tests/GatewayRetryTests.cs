using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using InferenceMesh.Gateway;

namespace InferenceMesh.ExtProc.Tests;

/// <summary>The development gateway over two ext_proc replicas, one of them dead: a stream that fails before the request
/// went upstream is retried on the other replica, as Envoy does with a retry policy on the ext_proc service.</summary>
public sealed class GatewayRetryTests : IAsyncLifetime
{
    private ExtProcTestHost _picker = null!;
    private FakeModelServer _model = null!;
    private string _dead = null!;

    public async Task InitializeAsync()
    {
        _model = await FakeModelServer.StartAsync();
        _picker = await ExtProcTestHost.StartChatPickerAsync(_model);
        // A port that was just free and that nothing listens on: a replica that died.
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        _dead = "http://127.0.0.1:" + ((IPEndPoint)probe.LocalEndpoint).Port.ToString(CultureInfo.InvariantCulture);
        probe.Stop();
    }

    public async Task DisposeAsync()
    {
        await _picker.DisposeAsync();
        await _model.DisposeAsync();
    }

    private async Task<List<HttpStatusCode>> SendFourAsync(int retries)
    {
        // The dead replica first: round-robin starts there, so requests 1 and 3 begin on it.
        await using var gateway = await GatewayHost.StartAsync(new GatewayOptions
        {
            Port = 0,
            ExtProcAddresses = [_dead, _picker.GrpcAddress.ToString().TrimEnd('/')],
            ExtProcRetries = retries,
        });
        using var client = new HttpClient { BaseAddress = gateway.Address, Timeout = TimeSpan.FromSeconds(60) };
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            using var response = await client.PostAsync("/v1/completions",
                new StringContent($$"""{"model":"chat","prompt":"retry {{i}}","max_tokens":2}""", Encoding.UTF8, "application/json"));
            statuses.Add(response.StatusCode);
        }
        return statuses;
    }

    [Fact]
    public async Task DeadReplica_StreamsStartingThereAreRetriedOnTheLiveOne_AndTheBodyArrivesWhole()
    {
        var statuses = await SendFourAsync(retries: 2);

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.Equal(4, _model.Bodies.Count);
        Assert.Contains(_model.Bodies, b => FakeModelServer.Text(b).Contains("retry 0", StringComparison.Ordinal));
        Assert.Equal(4, _picker.Scheduler.Requests.Count);
    }

    [Fact]
    public async Task NoRetries_StreamsStartingOnTheDeadReplicaFail500()
    {
        var statuses = await SendFourAsync(retries: 0);

        Assert.Equal([HttpStatusCode.InternalServerError, HttpStatusCode.OK, HttpStatusCode.InternalServerError, HttpStatusCode.OK], statuses);
    }
}
