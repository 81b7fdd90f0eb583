using System.Text;
using InferenceMesh.Contracts;
using InferenceMesh.Prefix.Hashing;
using Microsoft.Extensions.Options;

namespace InferenceMesh.ExtProc.Tests;

public sealed class PickerUnitTests
{
    /// <summary>Parses with the picker's limits and no prompt cap; the scratch holds the canonical prompt when it is not a slice.</summary>
    private static OpenAiRequest Parse(byte[] body, PooledBuffer scratch)
    {
        Assert.True(OpenAiRequest.TryParse(body, scratch, int.MaxValue, 256, out var r));
        return r;
    }

    [Fact]
    public void Parse_CompletionRequest_FindsModelPromptAndStream()
    {
        var body = Encoding.UTF8.GetBytes("""{"max_tokens":3,"model":"m-1","nested":{"model":"no"},"prompt":"abc","stream":true}""");
        using var scratch = new PooledBuffer();
        var r = Parse(body, scratch);
        Assert.Equal("m-1", r.Model);
        Assert.Equal("\"m-1\"", Encoding.UTF8.GetString(body[r.ModelToken]));
        Assert.Equal("abc", Encoding.UTF8.GetString(PromptText.Get(body, r, scratch)));
        Assert.False(r.PromptInScratch);
        Assert.True(r.Stream);
    }

    [Fact]
    public void Parse_ChatRequest_PromptIsTheCanonicalMessages_WhicheverComesFirst()
    {
        var body = Encoding.UTF8.GetBytes("""{"prompt":"ignored","messages":[{"role":"user","content":"x"}],"model":"m","input":"also ignored"}""");
        using var scratch = new PooledBuffer();
        var r = Parse(body, scratch);
        Assert.Equal("user\nx\n", Encoding.UTF8.GetString(PromptText.Get(body, r, scratch)));
        Assert.False(r.Stream);
    }

    [Theory]
    [InlineData("[1,2]")]
    [InlineData("{\"model\":")]
    [InlineData("not json")]
    [InlineData("{\"model\":\"m\"} trailing")]
    public void Parse_NotACompleteObject_Fails(string text)
    {
        using var scratch = new PooledBuffer();
        Assert.False(OpenAiRequest.TryParse(Encoding.UTF8.GetBytes(text), scratch, int.MaxValue, 256, out _));
    }

    [Fact]
    public void Rewriter_ReplacesOnlyTheModelField()
    {
        var rw = new JsonModelRewriter("served", "asked");
        using var output = new PooledBuffer();
        rw.Rewrite("""{"model" : "served","text":"served","x":{"model":"servedX"},"model":"served"}"""u8, output);
        Assert.Equal("""{"model" : "asked","text":"served","x":{"model":"servedX"},"model":"asked"}""", Encoding.UTF8.GetString(output.Span));
    }

    [Fact]
    public void Usage_IsReadFromTopLevelOnly()
    {
        Assert.True(UsageReader.TryRead("""{"a":{"usage":{"prompt_tokens":1}},"usage":{"prompt_tokens":7,"completion_tokens":8}}"""u8, out var usage));
        Assert.Equal(new TokenUsage(7, 8, null), usage);
        Assert.False(UsageReader.TryRead("""{"usage":null}"""u8, out _));
        Assert.False(UsageReader.TryRead("""[DONE]"""u8, out _));
    }

    [Fact]
    public void ResponseProcessor_SseWithRewrite_EmitsWholeLinesOnly()
    {
        using var p = new ResponseBodyProcessor(true, new JsonModelRewriter("b", "a"), 1 << 20);
        Assert.False(p.Process(Encoding.UTF8.GetBytes("data: {\"model\":\"b\""), false, out var o1));
        Assert.True(o1.IsEmpty);
        p.Process(Encoding.UTF8.GetBytes(",\"usage\":{\"prompt_tokens\":2,\"completion_tokens\":4}}\n\nda"), false, out var o2);
        Assert.Equal("data: {\"model\":\"a\",\"usage\":{\"prompt_tokens\":2,\"completion_tokens\":4}}\n\n", Encoding.UTF8.GetString(o2.Span));
        p.Process(Encoding.UTF8.GetBytes("ta: [DONE]"), true, out var o3);
        Assert.Equal("data: [DONE]", Encoding.UTF8.GetString(o3.Span));
        Assert.True(p.HasUsage);
        Assert.Equal((2, 4), (p.PromptTokens, p.CompletionTokens));
    }

    [Fact]
    public void ResponseProcessor_JsonOverTheBound_PassesThroughUnchanged()
    {
        using var p = new ResponseBodyProcessor(false, new JsonModelRewriter("b", "a"), 16);
        p.Process(Encoding.UTF8.GetBytes("{\"model\":\""), false, out var o1);
        Assert.True(o1.IsEmpty);
        p.Process(Encoding.UTF8.GetBytes("b\",\"padding\":\"xxxxxxxx\"}"), true, out var o2);
        Assert.Equal("{\"model\":\"b\",\"padding\":\"xxxxxxxx\"}", Encoding.UTF8.GetString(o2.Span));
    }

    [Fact]
    public void Resolver_WeightedTargets_FollowTheWeights()
    {
        var options = Options.Create(new ExtProcOptions
        {
            Models =
            [
                new InferenceModelOptions
                {
                    ModelName = "m",
                    Criticality = Criticality.Sheddable,
                    TargetModels = [new TargetModelOptions { Name = "a", Weight = 80 }, new TargetModelOptions { Name = "b", Weight = 20 }],
                },
            ],
        });
        var resolver = new ModelResolver(new OptionsInferenceModelSource(options), Criticality.Standard, new Random(42));
        var a = 0;
        for (var i = 0; i < 10_000; i++)
        {
            var r = resolver.Resolve("m", null, null);
            Assert.Equal(Criticality.Sheddable, r.Criticality);
            if (r.TargetModel == "a")
                a++;
        }
        Assert.InRange(a, 7_600, 8_400);
        // As in the reference picker, the rewrite resource (targetModels) wins over x-gateway-model-name-rewrite;
        // the header applies to models without targets.
        Assert.Contains(resolver.Resolve("m", null, "forced").TargetModel, new[] { "a", "b" });
        Assert.Equal("forced", resolver.Resolve("other", null, "forced").TargetModel);
        var unknown = resolver.Resolve("other", null, null);
        Assert.Equal(("other", Criticality.Standard, false), (unknown.TargetModel, unknown.Criticality, unknown.Known));
    }

    private static PrefixPromptHasher NewHasher() => new(Options.Create(new PrefixHashOptions()));

    [Fact]
    public void Hasher_ChainsBlocks_SharedPrefixSharesLeadingHashes()
    {
        var h = NewHasher();
        var a = h.Hash("m", Encoding.UTF8.GetBytes(new string('x', 640) + new string('y', 128)));
        var b = h.Hash("m", Encoding.UTF8.GetBytes(new string('x', 640) + new string('z', 128)));
        var c = h.Hash("other", Encoding.UTF8.GetBytes(new string('x', 640)));
        Assert.Equal(12, a.Length);
        Assert.Equal(a[..10], b[..10]);
        Assert.NotEqual(a[10], b[10]);
        Assert.NotEqual(a[0], c[0]);
        Assert.Equal(256, h.Hash("m", new byte[64 * 300]).Length);
    }

    [Fact]
    public void PromptText_Chat_MatchesLibsPrefixCanonicalForm()
    {
        var content = new string('q', 200) + "\\\"quoted\\\" \\u00e9";
        var body = Encoding.UTF8.GetBytes($$"""{"model":"m","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"{{content}}"}]}""");
        using var scratch = new PooledBuffer();
        var parsed = Parse(body, scratch);
        var text = PromptText.Get(body, parsed, scratch);
        var expectedUser = new string('q', 200) + "\"quoted\" é";
        Assert.Equal("system\nbe brief\nuser\n" + expectedUser + "\n", Encoding.UTF8.GetString(text));

        var expected = new ulong[256];
        var n = PrefixHasher.ComputeChat([("system", "be brief"), ("user", expectedUser)], PrefixHasher.ModelSeed("m"), expected);
        Assert.Equal(expected[..n], NewHasher().Hash("m", text));
    }

    [Fact]
    public void PromptText_EscapedCompletionPrompt_IsUnescaped()
    {
        var body = Encoding.UTF8.GetBytes("""{"model":"m","prompt":"tab\there"}""");
        using var scratch = new PooledBuffer();
        var parsed = Parse(body, scratch);
        Assert.Equal("tab\there", Encoding.UTF8.GetString(PromptText.Get(body, parsed, scratch)));
    }
}
