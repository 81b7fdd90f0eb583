using System.Buffers;
using InferenceMesh.Grpc;
using InferenceMesh.Grpc.Health.V1;

namespace InferenceMesh.ExtProc.Tests;

public sealed class GrpcUnitTests
{
    [Theory]
    [InlineData("1H", 36_000_000_000L)]
    [InlineData("2M", 1_200_000_000L)]
    [InlineData("3S", 30_000_000L)]
    [InlineData("250m", 2_500_000L)]
    [InlineData("7u", 70L)]
    [InlineData("12345678n", 123_456L)]
    [InlineData("99999999S", 999_999_990_000_000L)]
    public void GrpcTimeout_ValidValues_Parse(string value, long ticks)
    {
        Assert.True(GrpcTimeout.TryParse(value, out var t));
        Assert.Equal(ticks, t.Ticks);
    }

    [Theory]
    [InlineData("")]
    [InlineData("S")]
    [InlineData("123456789S")]
    [InlineData("10s")]
    [InlineData("1.5S")]
    [InlineData("-1S")]
    public void GrpcTimeout_InvalidValues_AreRejected(string value) => Assert.False(GrpcTimeout.TryParse(value, out _));

    [Fact]
    public void GrpcTimeout_Format_RoundTrips()
    {
        foreach (var t in new[] { TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(5), TimeSpan.FromHours(30) })
        {
            var text = GrpcTimeout.Format(t);
            Assert.True(text.Length <= 9);
            Assert.True(GrpcTimeout.TryParse(text, out var back));
            Assert.Equal(t, back);
        }
    }

    [Theory]
    [InlineData("plain text", "plain text")]
    [InlineData("100%", "100%25")]
    [InlineData("line\nbreak", "line%0Abreak")]
    [InlineData("héllo", "h%C3%A9llo")]
    public void PercentEncoding_EncodesAndDecodes(string text, string encoded)
    {
        Assert.Equal(encoded, GrpcPercentEncoding.Encode(text));
        Assert.Equal(text, GrpcPercentEncoding.Decode(encoded));
    }

    [Fact]
    public void Framing_MessagesAcrossSegments_AreReadWhole()
    {
        var writer = new ArrayBufferWriter<byte>();
        GrpcFraming.WriteMessage(writer, new HealthCheckRequest { Service = "a" });
        GrpcFraming.WriteMessage(writer, new HealthCheckRequest { Service = "bb" });
        GrpcFraming.WriteMessage(writer, new HealthCheckRequest());
        var all = writer.WrittenSpan.ToArray();
        for (var cut = 1; cut < all.Length; cut++)
        {
            var seq = new ReadOnlySequence<byte>(all.AsMemory(0, cut));
            var names = new List<string>();
            while (GrpcFraming.TryReadMessage(ref seq, 1024, out var m))
                names.Add(HealthCheckRequest.Parser.ParseFrom(m).Service);
            var rest = all.AsMemory(cut - (int)seq.Length);
            var seq2 = new ReadOnlySequence<byte>(rest);
            while (GrpcFraming.TryReadMessage(ref seq2, 1024, out var m))
                names.Add(HealthCheckRequest.Parser.ParseFrom(m).Service);
            Assert.Equal(["a", "bb", ""], names);
        }
    }

    [Fact]
    public void Framing_OversizedMessage_IsResourceExhausted()
    {
        var writer = new ArrayBufferWriter<byte>();
        GrpcFraming.WriteMessage(writer, new HealthCheckRequest { Service = new string('x', 100) });
        var seq = new ReadOnlySequence<byte>(writer.WrittenMemory);
        var ex = Assert.Throws<GrpcException>(() => GrpcFraming.TryReadMessage(ref seq, 10, out _));
        Assert.Equal(GrpcStatusCode.ResourceExhausted, ex.Status);
    }
}
