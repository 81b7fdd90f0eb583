using System.Text;
using Grpc.Core;
using InferenceMesh.ExtProc.BodyRouting;
using InferenceMesh.Grpc.Envoy.Config.Core.V3;
using InferenceMesh.Grpc.Envoy.Extensions.Filters.Http.ExtProc.V3;
using InferenceMesh.Grpc.Envoy.Service.ExtProc.V3;

namespace InferenceMesh.ExtProc.Tests;

/// <summary>ext-proc's body-based-routing mode over real gRPC on loopback: the model from the body becomes
/// <c>x-gateway-model-name</c> with clear_route_cache, and the body passes through unchanged.</summary>
public sealed class BodyRoutingTests : IAsyncLifetime
{
    private const string Header = "x-gateway-model-name";
    private BodyRoutingHost _host = null!;

    public async Task InitializeAsync() => _host = await BodyRoutingHost.StartAsync(new Dictionary<string, string?>
    {
        ["BodyRouting:MaxBodyBytes"] = "4096",
        ["BodyRouting:ChunkBytes"] = "100",
    });

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task FullDuplex_ModelInBody_SetsHeaderClearsRouteCacheAndRestreamsTheBody()
    {
        var body = Encoding.UTF8.GetBytes("""{"messages":[{"role":"user","content":"{\"model\":\"decoy\"}"}],"stream":false,"model":"travel-helper-v1","max_tokens":8}""");
        await using var call = ExtProcCall.Open(_host.Client);
        var headers = await SendFullDuplexAsync(call, body, 7);
        Assert.True(headers.RequestHeaders.Response.ClearRouteCache);
        var set = Assert.Single(headers.RequestHeaders.Response.HeaderMutation.SetHeaders);
        Assert.Equal((Header, "travel-helper-v1"), (set.Header.Key, set.Header.Text()));
        Assert.Equal(HeaderValueOption.Types.HeaderAppendAction.OverwriteIfExistsOrAdd, set.AppendAction);

        var (restreamed, chunks, largest) = await call.ReadStreamedRequestBodyAsync();
        Assert.Equal(body, restreamed);
        Assert.Equal((body.Length + 99) / 100, chunks);
        Assert.Equal(100, largest);
    }

    [Theory]
    [InlineData("""{"prompt":"no model here"}""")]
    [InlineData("""{"model":42,"prompt":"x"}""")]
    [InlineData("""{"model":"line\nbreak"}""")]
    [InlineData("not json at all")]
    public async Task FullDuplex_NoUsableModel_PassesThroughWithoutHeaderOrRouteCacheClear(string json)
    {
        var body = Encoding.UTF8.GetBytes(json);
        await using var call = ExtProcCall.Open(_host.Client);
        var headers = await SendFullDuplexAsync(call, body, 1000);
        Assert.False(headers.RequestHeaders.Response.ClearRouteCache);
        Assert.Null(headers.RequestHeaders.Response.HeaderMutation);
        Assert.Equal(body, (await call.ReadStreamedRequestBodyAsync()).Body);
    }

    /// <summary>Headers and the body in chunks, as Envoy's FULL_DUPLEX_STREAMED filter sends them; returns the headers answer.</summary>
    private static async Task<ProcessingResponse> SendFullDuplexAsync(ExtProcCall call, byte[] body, int chunk)
    {
        await call.WriteAsync(EnvoyMessages.RequestHeaders(endOfStream: false));
        await call.SendAllAsync(EnvoyMessages.RequestBodyChunks(body, chunk));
        var headers = await call.NextAsync();
        Assert.Equal(ProcessingResponse.ResponseOneofCase.RequestHeaders, headers.ResponseCase);
        return headers;
    }

    [Fact]
    public async Task Buffered_HeadersAnsweredAtOnce_HeaderRidesOnTheBodyAnswer()
    {
        var body = Encoding.UTF8.GetBytes("""{"model":"qwen","prompt":"hi"}""");
        await using var call = ExtProcCall.Open(_host.Client);
        await call.WriteAsync(EnvoyMessages.RequestHeaders(endOfStream: false, ProcessingMode.Types.BodySendMode.Buffered));
        var headers = await call.NextAsync();
        Assert.Equal(ProcessingResponse.ResponseOneofCase.RequestHeaders, headers.ResponseCase);
        Assert.Null(headers.RequestHeaders.Response);

        await call.WriteAsync(EnvoyMessages.RequestBody(body, endOfStream: true));
        var answer = await call.NextAsync();
        Assert.Equal(ProcessingResponse.ResponseOneofCase.RequestBody, answer.ResponseCase);
        Assert.True(answer.RequestBody.Response.ClearRouteCache);
        Assert.Equal("qwen", Assert.Single(answer.RequestBody.Response.HeaderMutation.SetHeaders).Header.Text());
        Assert.Null(answer.RequestBody.Response.BodyMutation);
    }

    [Fact]
    public async Task RequestWithoutBody_IsAnsweredAtOnce()
    {
        await using var call = ExtProcCall.Open(_host.Client);
        await call.WriteAsync(EnvoyMessages.RequestHeaders(endOfStream: true, method: "GET", path: "/v1/models"));
        var headers = await call.NextAsync();
        Assert.Equal(ProcessingResponse.ResponseOneofCase.RequestHeaders, headers.ResponseCase);
        Assert.Null(headers.RequestHeaders.Response);
    }

    [Fact]
    public async Task BodyOverTheLimit_Is413()
    {
        var body = EnvoyMessages.CompletionBody("qwen", 8 * 1024);
        await using var call = ExtProcCall.Open(_host.Client);
        await call.WriteAsync(EnvoyMessages.RequestHeaders(endOfStream: false));
        try
        {
            await call.SendAllAsync(EnvoyMessages.RequestBodyChunks(body, 1024));
        }
        catch (RpcException)
        {
            // The router may end the stream while chunks are still on their way; its answer is what counts.
        }
        var answer = await call.NextAsync();
        Assert.Equal(ProcessingResponse.ResponseOneofCase.ImmediateResponse, answer.ResponseCase);
        Assert.Equal(413, (int)answer.ImmediateResponse.Status.Code);
    }

    [Theory]
    [InlineData("""{"model":"qwen"}""", "qwen")]
    [InlineData("""{"a":{"model":"inner"},"b":[1,{"model":"x"}],"model":"outer"}""", "outer")]
    [InlineData("""{"model":"esc\u0061ped"}""", "escaped")]
    [InlineData("""{"model":""}""", null)]
    [InlineData("""{"model":null}""", null)]
    [InlineData("""["model","qwen"]""", null)]
    [InlineData("""{"model":"trunc""", null)]
    public void ModelField_FindsOnlyTheTopLevelStringModel(string json, string? expected) =>
        Assert.Equal(expected, ModelField.Find(Encoding.UTF8.GetBytes(json)));
}
