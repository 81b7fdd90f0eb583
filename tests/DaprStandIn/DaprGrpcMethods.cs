using Dapr.Client.Autogen.Grpc.v1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;

namespace InferenceMesh.DaprStandIn;

/// <summary>Binds <see cref="DaprGrpcApi"/> to <c>dapr.proto.runtime.v1.Dapr</c>: Dapr.Protos ships only the client of that
/// service, so the server methods are declared here over its message types.</summary>
internal sealed class DaprGrpcMethods : IServiceMethodProvider<DaprGrpcApi>
{
    private const string Service = "dapr.proto.runtime.v1.Dapr";

    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<DaprGrpcApi> context)
    {
        context.AddUnaryMethod(Unary("GetState", GetStateRequest.Parser, GetStateResponse.Parser), [], (api, r, c) => api.GetState(r, c));
        context.AddUnaryMethod(Unary("GetBulkState", GetBulkStateRequest.Parser, GetBulkStateResponse.Parser), [], (api, r, c) => api.GetBulkState(r, c));
        context.AddUnaryMethod(Unary("SaveState", SaveStateRequest.Parser, Empty.Parser), [], (api, r, c) => api.SaveState(r, c));
        context.AddUnaryMethod(Unary("DeleteState", DeleteStateRequest.Parser, Empty.Parser), [], (api, r, c) => api.DeleteState(r, c));
        context.AddUnaryMethod(Unary("ExecuteStateTransaction", ExecuteStateTransactionRequest.Parser, Empty.Parser), [], (api, r, c) => api.ExecuteStateTransaction(r, c));
        context.AddUnaryMethod(Unary("PublishEvent", PublishEventRequest.Parser, Empty.Parser), [], (api, r, c) => api.PublishEvent(r, c));
    }

    private static Method<TRequest, TResponse> Unary<TRequest, TResponse>(string name, MessageParser<TRequest> request, MessageParser<TResponse> response)
        where TRequest : class, IMessage<TRequest>
        where TResponse : class, IMessage<TResponse> =>
        new(MethodType.Unary, Service, name, Marshaller(request), Marshaller(response));

    private static Marshaller<T> Marshaller<T>(MessageParser<T> parser)
        where T : class, IMessage<T> =>
        Marshallers.Create(m => m.ToByteArray(), parser.ParseFrom);
}
