using Grpc.Core;
using InferenceMesh.Grpc.Envoy.Service.ExtProc.V3;

namespace InferenceMesh.ExtProc.Tests;

/// <summary>A response stream that keeps what was written, serialized and parsed back as the wire would carry it
/// (so a message wrapping a pooled buffer is captured at write time, as Grpc.AspNetCore serializes it).</summary>
internal sealed class CollectingWriter : IServerStreamWriter<ProcessingResponse>
{
    public List<ProcessingResponse> Messages { get; } = [];

    public WriteOptions? WriteOptions { get; set; }

    public Task WriteAsync(ProcessingResponse message)
    {
        Messages.Add(ProcessingResponse.Parser.ParseFrom(Google.Protobuf.MessageExtensions.ToByteArray(message)));
        return Task.CompletedTask;
    }
}
