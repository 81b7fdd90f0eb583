using System.Collections.Concurrent;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace InferenceMesh.EndToEnd.Tests.Support;

/// <summary>One exported span as the receiver read it from OTLP/HTTP protobuf.</summary>
public sealed record ReceivedSpan(string Service, string TraceId, string SpanId, string ParentSpanId, string Name, int Kind)
{
    public const int Server = 2;
    public const int Client = 3;
}

/// <summary>An OTLP/HTTP (protobuf) collector on loopback port 0 that keeps the spans the services export
/// (<c>POST /v1/traces</c>); metrics and logs are acknowledged and dropped. Reads only the fields the tests need from
/// ExportTraceServiceRequest (opentelemetry-proto: resource_spans → resource.attributes / scope_spans → spans).</summary>
public sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedSpan> _spans = new();

    private OtlpReceiver(WebApplication app) => _app = app;

    public Uri Address { get; private set; } = null!;

    public IReadOnlyCollection<ReceivedSpan> Spans => _spans;

    public static async Task<OtlpReceiver> StartAsync()
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new OtlpReceiver(app);
        app.MapPost("/v1/traces", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body, context.RequestAborted);
            receiver.Read(body.ToArray());
            return Results.Ok();
        });
        app.MapPost("/v1/{signal}", () => Results.Ok());
        await app.StartAsync();
        receiver.Address = TestServers.AddressOf(app);
        return receiver;
    }

    private void Read(byte[] request)
    {
        foreach (var resourceSpans in Messages(request, 1))
        {
            var service = "";
            foreach (var resource in Messages(resourceSpans, 1))
            {
                foreach (var attribute in Messages(resource, 1))
                {
                    var (key, value) = KeyValue(attribute);
                    if (key == "service.name")
                        service = value;
                }
            }
            foreach (var scopeSpans in Messages(resourceSpans, 2))
            {
                foreach (var span in Messages(scopeSpans, 2))
                    _spans.Enqueue(Span(service, span));
            }
        }
    }

    private static ReceivedSpan Span(string service, ByteString span)
    {
        string traceId = "", spanId = "", parent = "", name = "";
        var kind = 0;
        var input = span.CreateCodedInput();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: traceId = Convert.ToHexStringLower(input.ReadBytes().Span); break;
                case 2: spanId = Convert.ToHexStringLower(input.ReadBytes().Span); break;
                case 4: parent = Convert.ToHexStringLower(input.ReadBytes().Span); break;
                case 5: name = input.ReadString(); break;
                case 6: kind = input.ReadEnum(); break;
                default: input.SkipLastField(); break;
            }
        }
        return new ReceivedSpan(service, traceId, spanId, parent, name, kind);
    }

    /// <summary>KeyValue { key = 1; AnyValue value = 2 { string_value = 1 } }: the string values only.</summary>
    private static (string Key, string Value) KeyValue(ByteString keyValue)
    {
        string key = "", value = "";
        var input = keyValue.CreateCodedInput();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) == 1)
            {
                key = input.ReadString();
            }
            else if (WireFormat.GetTagFieldNumber(tag) == 2)
            {
                foreach (var s in Strings(input.ReadBytes(), 1))
                    value = s;
            }
            else
            {
                input.SkipLastField();
            }
        }
        return (key, value);
    }

    private static List<ByteString> Messages(byte[] message, int field) => Messages(ByteString.CopyFrom(message), field);

    /// <summary>Every length-delimited value of <paramref name="field"/> in <paramref name="message"/>.</summary>
    private static List<ByteString> Messages(ByteString message, int field)
    {
        var found = new List<ByteString>();
        var input = message.CreateCodedInput();
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) == field && WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
                found.Add(input.ReadBytes());
            else
                input.SkipLastField();
        }
        return found;
    }

    private static IEnumerable<string> Strings(ByteString message, int field)
    {
        foreach (var bytes in Messages(message, field))
            yield return bytes.ToStringUtf8();
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
