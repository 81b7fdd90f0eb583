using System.Text;
using InferenceMesh.Contracts;
using InferenceMesh.Grpc.Envoy.Extensions.Filters.Http.ExtProc.V3;
using InferenceMesh.Grpc.Envoy.Service.ExtProc.V3;
using static InferenceMesh.ExtProc.Tests.EnvoyMessages;
using Mode = InferenceMesh.Grpc.Envoy.Extensions.Filters.Http.ExtProc.V3.ProcessingMode.Types.BodySendMode;

namespace InferenceMesh.ExtProc.Tests;

public sealed class PickerModesTests : IAsyncLifetime
{
    private ExtProcTestHost _host = null!;

    public async Task InitializeAsync() => _host = await ExtProcTestHost.StartAsync(new Dictionary<string, string?>
    {
        ["ExtProc:Models:0:ModelName"] = "chat",
        ["ExtProc:Models:0:TargetModels:0:Name"] = "served",
    });

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Process_Buffered_AnswersEachMessageOnceAndRoutesInTheBodyResponse()
    {
        var body = CompletionBody("chat", 500);
        await using var call = ExtProcCall.Open(_host);
        await call.WriteAsync(RequestHeaders(endOfStream: false, mode: Mode.Buffered));
        var h = await call.NextAsync();
        Assert.Equal(ProcessingResponse.ResponseOneofCase.RequestHeaders, h.ResponseCase);
        Assert.Null(h.RequestHeaders.Response.HeaderMutation);

        await call.WriteAsync(RequestBody(body, true));
        var b = await call.NextAsync();
        Assert.Equal(ProcessingResponse.ResponseOneofCase.RequestBody, b.ResponseCase);
        var common = b.RequestBody.Response;
        Assert.True(common.ClearRouteCache);
        Assert.Equal("10.0.0.1:8000", HeaderValue(common.HeaderMutation, HeaderNames.DestinationEndpoint));
        Assert.Equal(BodyMutation.MutationOneofCase.Body, common.BodyMutation.MutationCase);
        Assert.Contains("\"model\":\"served\"", common.BodyMutation.Body.ToStringUtf8(), StringComparison.Ordinal);
        Assert.NotNull(b.DynamicMetadata);

        await call.WriteAsync(ResponseHeaders(200, "application/json"));
        Assert.Equal(ProcessingResponse.ResponseOneofCase.ResponseHeaders, (await call.NextAsync()).ResponseCase);
        await call.WriteAsync(ResponseBody("{\"model\":\"served\",\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2}}", true));
        var rb = await call.NextAsync();
        Assert.Equal("{\"model\":\"chat\",\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2}}", rb.ResponseBody.Response.BodyMutation.Body.ToStringUtf8());
        await call.FinishAsync();
    }

    [Fact]
    public async Task Process_Streamed_AnswersEveryChunkInOrderWithTheSameType()
    {
        var body = Encoding.UTF8.GetBytes("""{"model":"qwen","prompt":"a fairly ordinary prompt for the streamed mode test"}""");
        await using var call = ExtProcCall.Open(_host);
        await call.WriteAsync(RequestHeaders(endOfStream: false, mode: Mode.Streamed));
        Assert.Equal(ProcessingResponse.ResponseOneofCase.RequestHeaders, (await call.NextAsync()).ResponseCase);

        var chunks = RequestBodyChunks(body, 20).ToList();
        Assert.True(chunks.Count >= 3);
        var answers = new List<ProcessingResponse>();
        foreach (var chunk in chunks)
        {
            await call.WriteAsync(chunk);
            answers.Add(await call.NextAsync());
        }
        Assert.All(answers, a => Assert.Equal(ProcessingResponse.ResponseOneofCase.RequestBody, a.ResponseCase));
        for (var i = 0; i < answers.Count - 1; i++)
            Assert.True(answers[i].RequestBody.Response.BodyMutation.ClearBodyFlag);
        var last = answers[^1].RequestBody.Response;
        Assert.Equal("10.0.0.1:8000", HeaderValue(last.HeaderMutation, HeaderNames.DestinationEndpoint));
        Assert.Equal(body, last.BodyMutation.Body.ToByteArray());

        await call.WriteAsync(ResponseHeaders(200, "text/event-stream"));
        Assert.Equal(ProcessingResponse.ResponseOneofCase.ResponseHeaders, (await call.NextAsync()).ResponseCase);
        await call.WriteAsync(ResponseBody("data: {\"x\":1}\n\n", false));
        var r1 = await call.NextAsync();
        Assert.Equal(ProcessingResponse.ResponseOneofCase.ResponseBody, r1.ResponseCase);
        Assert.Null(r1.ResponseBody.Response.BodyMutation);
        await call.WriteAsync(ResponseBody("data: [DONE]\n\n", true));
        Assert.Equal(ProcessingResponse.ResponseOneofCase.ResponseBody, (await call.NextAsync()).ResponseCase);
        await call.FinishAsync();
        await Poll.UntilAsync(() => !_host.Scheduler.Completions.IsEmpty, "completion");
        Assert.Equal(200, Assert.Single(_host.Scheduler.Completions).StatusCode);
    }

    [Fact]
    public async Task Process_NoProtocolConfig_DefaultsToFullDuplex()
    {
        var body = CompletionBody("qwen", 300);
        await using var call = ExtProcCall.Open(_host);
        var headers = RequestHeaders(endOfStream: false);
        headers.ProtocolConfig = null;
        await call.WriteAsync(headers);
        await call.WriteAsync(RequestBody(body, true));
        Assert.Equal(ProcessingResponse.ResponseOneofCase.RequestHeaders, (await call.NextAsync()).ResponseCase);
        var (echoed, _, _) = await call.ReadStreamedRequestBodyAsync();
        Assert.Equal(body, echoed);
    }
}
