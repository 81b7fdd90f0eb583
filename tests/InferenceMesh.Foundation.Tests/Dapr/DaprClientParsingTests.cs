using System.Text;
using InferenceMesh.Dapr;

namespace InferenceMesh.Foundation.Tests.Dapr;

public sealed class DaprClientParsingTests
{
    [Fact]
    public void ParseError_ReadsCodeAndMessage()
    {
        var (code, message) = DaprClient.ParseError("""{"errorCode":"ERR_STATE_SAVE","message":"possible etag mismatch","details":[]}"""u8);

        Assert.Equal("ERR_STATE_SAVE", code);
        Assert.Equal("possible etag mismatch", message);
    }

    [Fact]
    public void ParseError_OnNonJson_ReturnsNulls()
    {
        Assert.Equal((null, null), DaprClient.ParseError("upstream connect error"u8));
    }

    [Fact]
    public void ParseBulk_KeepsRequestOrder_AndMarksMissingKeys()
    {
        var body = Encoding.UTF8.GetBytes("""[{"key":"b","data":{"v":2},"etag":"7"},{"key":"a","data":"text","etag":"1"},{"key":"c"}]""");

        var items = DaprClient.ParseBulk(body, ["a", "b", "c", "d"]);

        Assert.Equal(["a", "b", "c", "d"], items.Select(i => i.Key));
        Assert.Equal("\"text\"", Encoding.UTF8.GetString(items[0].Data.Span));
        Assert.Equal("""{"v":2}""", Encoding.UTF8.GetString(items[1].Data.Span));
        Assert.Equal("7", items[1].ETag);
        Assert.False(items[2].Exists);
        Assert.False(items[3].Exists);
    }
}
