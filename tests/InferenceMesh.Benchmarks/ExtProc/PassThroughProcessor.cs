using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using InferenceMesh.Contracts;
using InferenceMesh.Grpc.Envoy.Config.Core.V3;
using InferenceMesh.Grpc.Envoy.Service.ExtProc.V3;

namespace InferenceMesh.Benchmarks.ExtProc;

/// <summary>The protocol's floor on the same Grpc.AspNetCore stack as ext-proc: buffers to end of stream, then answers
/// a fixed endpoint and re-streams the body, without parsing, hashing or scheduling.</summary>
internal sealed class PassThroughProcessor : ExternalProcessor.ExternalProcessorBase
{
    public override async Task Process(IAsyncStreamReader<ProcessingRequest> requestStream, IServerStreamWriter<ProcessingResponse> responseStream, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        var chunks = new List<ByteString>();
        while (await requestStream.MoveNext(ct).ConfigureAwait(false))
        {
            var m = requestStream.Current;
            if (m.RequestCase == ProcessingRequest.RequestOneofCase.RequestBody)
            {
                chunks.Add(m.RequestBody.Body);
                if (!m.RequestBody.EndOfStream)
                    continue;
            }
            else if (m.RequestCase != ProcessingRequest.RequestOneofCase.RequestHeaders || !m.RequestHeaders.EndOfStream)
            {
                continue;
            }
            await responseStream.WriteAsync(Decision(), ct).ConfigureAwait(false);
            for (var i = 0; i < chunks.Count; i++)
            {
                await responseStream.WriteAsync(new ProcessingResponse
                {
                    RequestBody = new BodyResponse
                    {
                        Response = new CommonResponse
                        {
                            BodyMutation = new BodyMutation { StreamedResponse = new StreamedBodyResponse { Body = chunks[i], EndOfStream = i == chunks.Count - 1 } },
                        },
                    },
                }, ct).ConfigureAwait(false);
            }
        }
    }

    private static ProcessingResponse Decision()
    {
        var mutation = new HeaderMutation();
        mutation.SetHeaders.Add(new HeaderValueOption { Header = new HeaderValue { Key = HeaderNames.DestinationEndpoint, RawValue = ByteString.CopyFromUtf8(ExtProcBenchHosts.Endpoint) } });
        var lb = new Struct();
        lb.Fields[HeaderNames.DestinationEndpoint] = Value.ForString(ExtProcBenchHosts.Endpoint);
        var metadata = new Struct();
        metadata.Fields[HeaderNames.EnvoyLbNamespace] = Value.ForStruct(lb);
        return new ProcessingResponse
        {
            RequestHeaders = new HeadersResponse { Response = new CommonResponse { ClearRouteCache = true, HeaderMutation = mutation } },
            DynamicMetadata = metadata,
        };
    }
}
