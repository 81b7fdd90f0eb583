using System.Text;
using Grpc.Core;
using InferenceMesh.Contracts;
using InferenceMesh.Grpc.Envoy.Service.ExtProc.V3;
using InferenceMesh.Prefix.Hashing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using static InferenceMesh.ExtProc.Tests.EnvoyMessages;

namespace InferenceMesh.ExtProc.Tests;

/// <summary>Issue 14's cases against the real service: every malformed body a fixed-message 400 (never gRPC UNKNOWN),
/// bounded model names and labels, the unknown-model policy, trusted headers, no internals in answers, resets not errors.</summary>
public sealed class HostileInputTests
{
    private static readonly Dictionary<string, string?> OneModel = new()
    {
        ["ExtProc:Models:0:ModelName"] = "chat",
        ["ExtProc:Models:0:Criticality"] = "Standard",
        ["ExtProc:Models:1:ModelName"] = "vip",
        ["ExtProc:Models:1:Criticality"] = "Critical",
    };

    private static Dictionary<string, string?> With(params (string Key, string Value)[] extra)
    {
        var settings = new Dictionary<string, string?>(OneModel);
        foreach (var (k, v) in extra)
            settings[k] = v;
        return settings;
    }

    /// <summary>Sends one request (FULL_DUPLEX_STREAMED) and returns the first answer.</summary>
    private static async Task<ProcessingResponse> SendAsync(ExtProcTestHost host, byte[] body, IEnumerable<(string, string)>? headers = null)
    {
        await using var call = ExtProcCall.Open(host);
        await call.WriteAsync(RequestHeaders(endOfStream: false, extra: headers));
        await call.WriteAsync(RequestBody(body, true));
        return await call.NextAsync();
    }

    private static async Task<(int Status, string Body)> ImmediateAsync(ExtProcTestHost host, byte[] body)
    {
        var r = await SendAsync(host, body);
        Assert.Equal(ProcessingResponse.ResponseOneofCase.ImmediateResponse, r.ResponseCase);
        return ((int)r.ImmediateResponse.Status.Code, r.ImmediateResponse.Body.ToStringUtf8());
    }

    private static byte[] Nested(int depth)
    {
        var sb = new StringBuilder("""{"model":"chat","messages":[{"role":"user","content":""");
        sb.Append('[', depth).Append(']', depth).Append("}]}");
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    [Fact]
    public async Task NestingDeeperThan64InsideMessages_IsParsedAndScheduled()
    {
        await using var host = await ExtProcTestHost.StartAsync(OneModel);
        var r = await SendAsync(host, Nested(100));
        Assert.Equal(ProcessingResponse.ResponseOneofCase.RequestHeaders, r.ResponseCase);
        Assert.Single(host.Scheduler.Requests);
    }

    public static TheoryData<string, byte[]> MalformedBodies => new()
    {
        { "nesting past the reader's depth", Nested(300) },
        { "invalid UTF-8 in model", [.. """{"model":"ch"""u8, 0xC3, 0x28, .. "\",\"prompt\":\"x\"}"u8] },
        { "invalid UTF-8 in a message", [.. """{"model":"chat","messages":[{"role":"user","content":"a"""u8, 0xFF, .. "\"}]}"u8] },
        { "lone surrogate escape in model", "{\"model\":\"\\ud800\",\"prompt\":\"x\"}"u8.ToArray() },
        { "lone surrogate escape in a message", "{\"model\":\"chat\",\"messages\":[{\"role\":\"user\",\"content\":\"\\udfff\"}]}"u8.ToArray() },
        { "lone surrogate escape in a prompt", "{\"model\":\"chat\",\"prompt\":\"a\\ud800b\"}"u8.ToArray() },
        { "truncated", """{"model":"chat","messages":[{"role":"us"""u8.ToArray() },
        { "not an object", "[1,2,3]"u8.ToArray() },
        { "trailing garbage", """{"model":"chat","prompt":"x"}{"#"""u8.ToArray() },
    };

    [Theory]
    [MemberData(nameof(MalformedBodies))]
    public async Task MalformedBody_IsA400WithAFixedMessage_NeverUnknown(string what, byte[] body)
    {
        await using var host = await ExtProcTestHost.StartAsync(OneModel);
        var (status, text) = await ImmediateAsync(host, body);
        Assert.True(status == 400, what);
        Assert.Equal("inference error: BadRequest - invalid request body", text);
        Assert.Empty(host.Scheduler.Requests);
    }

    [Fact]
    public async Task ModelNameOverTheLimit_IsA400AndNotScheduled()
    {
        await using var host = await ExtProcTestHost.StartAsync(With(("ExtProc:MaxModelNameLength", "64")));
        var (status, text) = await ImmediateAsync(host, CompletionBody(new string('m', 65), 100));
        Assert.Equal((400, "inference error: BadRequest - model name too long"), (status, text));
        // Escapes count as the characters they stand for, and a name far past the limit is refused without decoding it.
        var escaped = Encoding.UTF8.GetBytes("{\"model\":\"" + string.Concat(Enumerable.Repeat("\\u0041", 65)) + "\",\"prompt\":\"x\"}");
        Assert.Equal(400, (await ImmediateAsync(host, escaped)).Status);
        Assert.Equal(400, (await ImmediateAsync(host, CompletionBody(new string('m', 1_000_000), 10))).Status);
        Assert.Empty(host.Scheduler.Requests);
        var ok = await SendAsync(host, CompletionBody(new string('m', 64), 100));
        Assert.Equal(ProcessingResponse.ResponseOneofCase.RequestHeaders, ok.ResponseCase);
    }

    [Fact]
    public async Task UnknownModel_UnderReject_IsOpenAis404BeforeScheduling()
    {
        await using var host = await ExtProcTestHost.StartAsync(With(("ExtProc:UnknownModels", "Reject")));
        var r = await SendAsync(host, CompletionBody("gpt-unknown", 100));
        var immediate = r.ImmediateResponse;
        Assert.Equal(404, (int)immediate.Status.Code);
        Assert.Equal("application/json", HeaderValue(immediate.Headers, "content-type"));
        Assert.Equal("""{"error":{"message":"The model does not exist.","type":"invalid_request_error","param":"model","code":"model_not_found"}}""",
            immediate.Body.ToStringUtf8());
        Assert.Empty(host.Scheduler.Requests);

        var known = await SendAsync(host, CompletionBody("chat", 100));
        Assert.Equal(ProcessingResponse.ResponseOneofCase.RequestHeaders, known.ResponseCase);
    }

    [Fact]
    public async Task UnknownModel_UnderPassthrough_IsScheduledAndIndexedUnderOther_WithTheBodyUnchanged()
    {
        await using var host = await ExtProcTestHost.StartAsync(OneModel);
        var body = CompletionBody("client-chosen-1", 64 * 4);
        await using var call = ExtProcCall.Open(host);
        await call.WriteAsync(RequestHeaders(endOfStream: false));
        await call.WriteAsync(RequestBody(body, true));
        Assert.Equal(ProcessingResponse.ResponseOneofCase.RequestHeaders, (await call.NextAsync()).ResponseCase);
        var (forwarded, _, _) = await call.ReadStreamedRequestBodyAsync();
        Assert.Equal(body, forwarded);

        var request = Assert.Single(host.Scheduler.Requests);
        Assert.Equal((ModelResolver.OtherModel, Criticality.Standard), (request.TargetModel, request.Criticality));
        // The chain is seeded with "_other", not the client's string: no client-made buckets in the prefix index.
        var hasher = new PrefixPromptHasher(Options.Create(new PrefixHashOptions()));
        var prompt = body.AsSpan(body.AsSpan().IndexOf("\"prompt\":\""u8) + 10);
        prompt = prompt[..prompt.IndexOf((byte)'"')];
        Assert.Equal(hasher.Hash(ModelResolver.OtherModel, prompt), request.BlockHashes);
    }

    [Fact]
    public async Task DistinctClientModelNames_ShareOneMetricLabel()
    {
        await using var host = await ExtProcTestHost.StartAsync(OneModel);
        for (var i = 0; i < 20; i++)
            await SendAsync(host, CompletionBody("client-model-" + i, 10));
        await SendAsync(host, CompletionBody("chat", 10));
        using var http = new HttpClient { BaseAddress = host.HttpAddress };
        var metrics = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        Assert.DoesNotContain("client-model-", metrics, StringComparison.Ordinal);
        Assert.Contains("model=\"_other\"", metrics, StringComparison.Ordinal);
        Assert.Contains("model=\"chat\"", metrics, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, Criticality.Critical)]
    [InlineData("false", Criticality.Standard)]
    public async Task ObjectiveHeader_IsHonouredOnlyWhenTheGatewayIsTrusted(string? trust, Criticality expected)
    {
        await using var host = await ExtProcTestHost.StartAsync(trust is null ? OneModel : With(("ExtProc:TrustGatewayHeaders", trust)));
        await SendAsync(host, CompletionBody("chat", 10), [(HeaderNames.InferenceObjective, "vip"), (HeaderNames.ModelNameRewrite, "chat")]);
        var request = Assert.Single(host.Scheduler.Requests);
        Assert.Equal(expected, request.Criticality);
    }

    [Fact]
    public async Task SchedulerFailure_AnswersWithoutTheExceptionTextOrAddresses()
    {
        await using var host = await ExtProcTestHost.StartAsync(OneModel);
        host.Scheduler.Handler = (_, _) => throw new HttpRequestException("connection refused (10.1.2.3:3500)");
        var (status, text) = await ImmediateAsync(host, CompletionBody("chat", 10));
        Assert.Equal((503, "inference error: ServiceUnavailable - scheduler unavailable"), (status, text));
    }

    [Fact]
    public async Task UnexpectedFailure_IsA500WithAGenericMessage_LoggedOnce_NotUnknown()
    {
        var logs = new CapturingLoggerProvider();
        await using var host = await ExtProcTestHost.StartAsync(OneModel, services =>
        {
            services.AddSingleton<IPromptHasher>(new ThrowingHasher());
            logs.AddTo(services);
        });
        var (status, text) = await ImmediateAsync(host, CompletionBody("chat", 10));
        Assert.Equal((500, "inference error: Internal - internal error"), (status, text));
        await Poll.UntilAsync(() => logs.Entries.Any(e => e.Level >= LogLevel.Error), "the error log");
        var errors = logs.Entries.Where(e => e.Level >= LogLevel.Error).ToList();
        var error = Assert.Single(errors);
        Assert.True(error.HasException);
        Assert.DoesNotContain("hasher exploded", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClientReset_IsLoggedAtDebug_NeverAsAnError()
    {
        var logs = new CapturingLoggerProvider();
        await using var host = await ExtProcTestHost.StartAsync(OneModel, logs.AddTo);
        host.Scheduler.BlockUntilCancelled();
        await using (var call = ExtProcCall.Open(host))
        {
            await call.WriteAsync(RequestHeaders(endOfStream: false));
            await call.WriteAsync(RequestBody(CompletionBody("chat", 10), true));
            await host.Scheduler.ScheduleEntered.Task.WaitAsync(ExtProcCall.Patience);
        }
        // Disposing the call reset the stream; a second stream resets mid-body, while the handler waits for the next message.
        await using (var call = ExtProcCall.Open(host))
        {
            await call.WriteAsync(RequestHeaders(endOfStream: false));
            await call.WriteAsync(RequestBody("{\"model\":"u8, false));
        }
        // The hosting layer logs "Request finished" after the gRPC layer has logged whatever it logs for the call.
        await Poll.UntilAsync(() => logs.Entries.Count(e => e.Category == "Microsoft.AspNetCore.Hosting.Diagnostics" && e.EventId == 2) >= 2, "both calls finished");
        Assert.DoesNotContain(logs.Entries, e => e.Level >= LogLevel.Error);
        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Debug && e.EventId == 15);
    }

    private sealed class ThrowingHasher : IPromptHasher
    {
        public int MaxPromptBytes => 1 << 20;

        public ulong[] Hash(string model, ReadOnlySpan<byte> prompt) => throw new InvalidOperationException("hasher exploded");
    }
}
