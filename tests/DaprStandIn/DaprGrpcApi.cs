using System.Security.Cryptography;
using System.Text;
using Dapr.Client.Autogen.Grpc.v1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace InferenceMesh.DaprStandIn;

/// <summary>The methods of <c>dapr.proto.runtime.v1.Dapr</c> that Dapr.Client calls for state and publish, with daprd's
/// status codes: <c>Unauthenticated</c> without the API token, <c>InvalidArgument</c> for an unknown component or a bad
/// ETag, <c>Aborted</c> on an ETag mismatch, <c>Internal</c> for a failed transaction.</summary>
internal sealed class DaprGrpcApi(DaprStandInOptions options, RedisState state, PubSubApi pubsub)
{
    private static readonly Empty Empty = new();

    public async Task<GetStateResponse> GetState(GetStateRequest request, ServerCallContext context)
    {
        Authorize(context);
        var (data, etag) = await Run(() => state.GetAsync(request.StoreName, request.Key));
        var response = new GetStateResponse();
        if (data is not null)
        {
            response.Data = ByteString.CopyFrom(data);
            response.Etag = etag;
        }
        return response;
    }

    public async Task<GetBulkStateResponse> GetBulkState(GetBulkStateRequest request, ServerCallContext context)
    {
        Authorize(context);
        var reads = new Task<(byte[]? Data, string? ETag)>[request.Keys.Count];
        for (var i = 0; i < reads.Length; i++)
        {
            var key = request.Keys[i];
            reads[i] = Run(() => state.GetAsync(request.StoreName, key));
        }
        var response = new GetBulkStateResponse();
        for (var i = 0; i < reads.Length; i++)
        {
            var (data, etag) = await reads[i];
            var item = new BulkStateItem { Key = request.Keys[i] };
            if (data is not null)
            {
                item.Data = ByteString.CopyFrom(data);
                item.Etag = etag;
            }
            response.Items.Add(item);
        }
        return response;
    }

    public async Task<Empty> SaveState(SaveStateRequest request, ServerCallContext context)
    {
        Authorize(context);
        foreach (var item in request.States)
            await Run(() => state.SetAsync(request.StoreName, Write(item)));
        return Empty;
    }

    public async Task<Empty> DeleteState(DeleteStateRequest request, ServerCallContext context)
    {
        Authorize(context);
        await Run(() => state.DeleteAsync(request.StoreName, request.Key, request.Etag?.Value ?? string.Empty));
        return Empty;
    }

    public async Task<Empty> ExecuteStateTransaction(ExecuteStateTransactionRequest request, ServerCallContext context)
    {
        Authorize(context);
        var operations = new List<(bool, StateWrite)>(request.Operations.Count);
        foreach (var op in request.Operations)
        {
            if (op.OperationType is not ("upsert" or "delete"))
                throw new RpcException(new Status(StatusCode.Unimplemented, $"ERR_NOT_SUPPORTED_STATE_OPERATION: operation type {op.OperationType} not supported"));
            operations.Add((op.OperationType == "delete", Write(op.Request)));
        }
        await Run(() => state.TransactionAsync(request.StoreName, operations));
        return Empty;
    }

    public async Task<Empty> PublishEvent(PublishEventRequest request, ServerCallContext context)
    {
        Authorize(context);
        var raw = request.Metadata.TryGetValue("rawPayload", out var r) && string.Equals(r, "true", StringComparison.OrdinalIgnoreCase);
        var traceParent = context.RequestHeaders.GetValue("traceparent");
        await Run(() => pubsub.PublishAsync(request.PubsubName, request.Topic, request.Data.ToByteArray(),
            string.IsNullOrEmpty(request.DataContentType) ? "application/json" : request.DataContentType, raw, traceParent));
        return Empty;
    }

    private static StateWrite Write(StateItem item)
    {
        var ttl = item.Metadata.TryGetValue("ttlInSeconds", out var t) ? t : string.Empty;
        var firstWrite = item.Options?.Concurrency == StateOptions.Types.StateConcurrency.ConcurrencyFirstWrite;
        return new StateWrite(item.Key, item.Value.ToByteArray(), item.Etag?.Value ?? string.Empty, ttl, firstWrite);
    }

    private void Authorize(ServerCallContext context)
    {
        if (options.ApiToken is null)
            return;
        var presented = context.RequestHeaders.GetValue("dapr-api-token") ?? string.Empty;
        if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), Encoding.UTF8.GetBytes(options.ApiToken)))
            throw new RpcException(new Status(StatusCode.Unauthenticated, "authentication error: api token mismatch"));
    }

    private static async Task<T> Run<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (StandInError ex)
        {
            throw ex.ToRpc();
        }
    }

    private static async Task Run(Func<Task> call)
    {
        try
        {
            await call();
        }
        catch (StandInError ex)
        {
            throw ex.ToRpc();
        }
    }
}
