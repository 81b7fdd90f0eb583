using System.Text;
using InferenceMesh.Dapr;

namespace InferenceMesh.Foundation.Tests.Dapr;

public sealed class CloudEventReaderTests
{
    [Fact]
    public void Envelope_WithJsonData_YieldsDataAndAttributes()
    {
        var body = Encoding.UTF8.GetBytes("""{"specversion":"1.0","id":"abc","source":"scheduler","type":"com.dapr.event.sent","topic":"t","pubsubname":"pubsub","traceparent":"00-1-2-01","datacontenttype":"application/json","data":{"x":[1,2,{"y":"}"}]}}""");

        Assert.True(CloudEventReader.TryRead(body, "dt", "dp", out var data, out var info));

        Assert.Equal("""{"x":[1,2,{"y":"}"}]}""", Encoding.UTF8.GetString(data.Span));
        Assert.Equal(new CloudEventInfo("abc", "t", "pubsub", "scheduler", "com.dapr.event.sent", "00-1-2-01"), info);
    }

    [Fact]
    public void Envelope_WithDataBase64_DecodesIt()
    {
        var payload = Convert.ToBase64String(Encoding.UTF8.GetBytes("""{"a":1}"""));
        var body = Encoding.UTF8.GetBytes($$"""{"data_base64":"{{payload}}","specversion":"1.0","id":"1"}""");

        Assert.True(CloudEventReader.TryRead(body, "t", "p", out var data, out var info));

        Assert.Equal("""{"a":1}""", Encoding.UTF8.GetString(data.Span));
        Assert.Equal("t", info.Topic);
    }

    [Fact]
    public void PlainJson_WithoutSpecVersion_IsTheDataItself()
    {
        var body = Encoding.UTF8.GetBytes("""{"data":5,"id":"not-an-envelope"}""");

        Assert.True(CloudEventReader.TryRead(body, "t", "p", out var data, out var info));

        Assert.Equal(body, data.ToArray());
        Assert.Equal(string.Empty, info.Id);
    }

    [Fact]
    public void InvalidJson_IsRejected()
    {
        Assert.False(CloudEventReader.TryRead("{\"specversion\":"u8.ToArray(), "t", "p", out _, out _));
    }
}
