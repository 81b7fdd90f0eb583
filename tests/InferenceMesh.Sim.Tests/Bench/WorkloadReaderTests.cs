using InferenceMesh.Bench.Workloads;

namespace InferenceMesh.Sim.Tests.Bench;

public sealed class WorkloadReaderTests
{
    [Fact]
    public void Mooncake_RequestsSharingATimestamp_AreSpreadEvenlyOverTheStep()
    {
        var text = """
            {"timestamp": 0, "input_length": 600, "output_length": 10, "hash_ids": [0, 1]}
            {"timestamp": 0, "input_length": 600, "output_length": 10, "hash_ids": [0, 2]}
            {"timestamp": 0, "input_length": 600, "output_length": 10, "hash_ids": [0, 3]}
            {"timestamp": 3000, "input_length": 100, "output_length": 5, "hash_ids": [4]}
            {"timestamp": 6000, "input_length": 100, "output_length": 5, "hash_ids": [5]}
            {"timestamp": 6000, "input_length": 100, "output_length": 5, "hash_ids": [6]}
            """;
        var w = MooncakeReader.Read(new StringReader(text), "t.jsonl");

        Assert.Equal([0.0, 1000.0, 2000.0, 3000.0, 6000.0, 7500.0], w.Requests.Select(r => r.ArrivalMs));
        Assert.Empty(w.Skipped);
    }

    [Fact]
    public void Mooncake_WithoutSpread_KeepsTheTraceTimestamps()
    {
        var text = "{\"timestamp\": 5, \"input_length\": 10, \"output_length\": 1, \"hash_ids\": [0]}\n{\"timestamp\": 5, \"input_length\": 10, \"output_length\": 1, \"hash_ids\": [1]}\n{\"timestamp\": 9, \"input_length\": 10, \"output_length\": 1, \"hash_ids\": [2]}";
        var w = MooncakeReader.Read(new StringReader(text), "t", spread: false);
        Assert.Equal([5.0, 5.0, 9.0], w.Requests.Select(r => r.ArrivalMs));
    }

    [Fact]
    public void Mooncake_MalformedLines_AreSkippedAndReportedWithLineNumbers()
    {
        var text = """
            {"timestamp": 0, "input_length": 600, "output_length": 10, "hash_ids": [0, 1]}
            not json at all
            {"timestamp": 1, "output_length": 10, "hash_ids": [0]}

            {"timestamp": 2, "input_length": 20, "output_length": 10, "hash_ids": [0, "x"]}
            {"timestamp": -4, "input_length": 20, "output_length": 10, "hash_ids": [0]}
            [1, 2, 3]
            {"timestamp": 3, "input_length": 20, "output_length": 1, "hash_ids": [9]}
            """;
        var w = MooncakeReader.Read(new StringReader(text), "bad.jsonl");

        Assert.Equal(2, w.Requests.Count);
        Assert.Equal(5, w.Skipped.Count);
        Assert.StartsWith("line 2:", w.Skipped[0], StringComparison.Ordinal);
        Assert.StartsWith("line 3:", w.Skipped[1], StringComparison.Ordinal);
        Assert.Contains("input_length", w.Skipped[1], StringComparison.Ordinal);
        Assert.StartsWith("line 5:", w.Skipped[2], StringComparison.Ordinal);
        Assert.StartsWith("line 6:", w.Skipped[3], StringComparison.Ordinal);
        Assert.StartsWith("line 7:", w.Skipped[4], StringComparison.Ordinal);
        Assert.Contains("malformed", w.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void Mooncake_PromptLength_MatchesInputLength_AndSharedHashIdsShareBlocks()
    {
        var text = """
            {"timestamp": 0, "input_length": 1100, "output_length": 10, "hash_ids": [7, 8, 9]}
            {"timestamp": 1, "input_length": 1090, "output_length": 10, "hash_ids": [7, 8, 10]}
            {"timestamp": 2, "input_length": 700, "output_length": 10, "hash_ids": [11, 12]}
            """;
        var w = MooncakeReader.Read(new StringReader(text), "t");
        Assert.Equal(1100, w.Requests[0].InputTokens);
        Assert.Equal(1090, w.Requests[1].InputTokens);
        var a = PromptBlocks.BlockHashes(w.Requests[0].Segments);
        var b = PromptBlocks.BlockHashes(w.Requests[1].Segments);
        var c = PromptBlocks.BlockHashes(w.Requests[2].Segments);
        Assert.Equal(1100 / 16, a.Length);

        // Two shared 512-token ids = 64 shared 16-token blocks, then they differ.
        Assert.Equal(a.Take(64), b.Take(64));
        Assert.NotEqual(a[64], b[64]);
        Assert.NotEqual(a[0], c[0]);
    }

    [Fact]
    public void Mooncake_OutOfOrderTimestamps_AreReplayedInTimeOrder()
    {
        var text = "{\"timestamp\": 50, \"input_length\": 10, \"output_length\": 1, \"hash_ids\": [0]}\n{\"timestamp\": 10, \"input_length\": 20, \"output_length\": 1, \"hash_ids\": [1]}";
        var w = MooncakeReader.Read(new StringReader(text), "t", spread: false);
        Assert.Equal([10.0, 50.0], w.Requests.Select(r => r.ArrivalMs));
        Assert.Equal(20, w.Requests[0].InputTokens);
        Assert.Equal([0, 1], w.Requests.Select(r => r.Index));
    }

    [Fact]
    public void Azure_DateTimeTimestamps_BecomeMillisecondsFromTheFirstRequest()
    {
        var text = """
            TIMESTAMP,ContextTokens,GeneratedTokens
            2023-11-16 18:17:03.9799600,4808,10
            2023-11-16 18:17:04.0319600,3180,8
            2023-11-16 18:17:05.0000000,oops,8
            2023-11-16 18:17:05.5,110,27
            """;
        var w = AzureCsvReader.Read(new StringReader(text), "code.csv");

        Assert.Equal(3, w.Requests.Count);
        Assert.Equal(0.0, w.Requests[0].ArrivalMs, 3);
        Assert.Equal(52.0, w.Requests[1].ArrivalMs, 3);
        Assert.Equal(1520.04, w.Requests[2].ArrivalMs, 3);
        Assert.Equal(4808, w.Requests[0].InputTokens);
        Assert.Equal(27, w.Requests[2].OutputTokens);
        var skipped = Assert.Single(w.Skipped);
        Assert.StartsWith("line 4:", skipped, StringComparison.Ordinal);
    }

    [Fact]
    public void Azure_PromptsShareNoPrefix()
    {
        var text = "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:17:03.97,64,1\n2023-11-16 18:17:04.00,64,1\n";
        var w = AzureCsvReader.Read(new StringReader(text), "c.csv");
        Assert.NotEqual(PromptBlocks.BlockHashes(w.Requests[0].Segments)[0], PromptBlocks.BlockHashes(w.Requests[1].Segments)[0]);
    }

    [Fact]
    public void TraceLoader_MissingFile_SaysWhichAndWhetherTheFolderIsAbsent()
    {
        var e = Assert.Throws<FileNotFoundException>(() => TraceLoader.Load("/definitely/not/here/trace.jsonl"));
        Assert.Contains("/definitely/not/here/trace.jsonl", e.Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", e.Message, StringComparison.Ordinal);
    }
}
