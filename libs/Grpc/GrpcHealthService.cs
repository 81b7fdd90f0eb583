using InferenceMesh.Grpc.Health.V1;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using ServingStatus = InferenceMesh.Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus;

namespace InferenceMesh.Grpc;

/// <summary><c>grpc.health.v1.Health</c>: Check and Watch over a status function per service name.
/// The function returns null for services it does not know (Check → NOT_FOUND, Watch → SERVICE_UNKNOWN).</summary>
public sealed class GrpcHealthService
{
    public const string CheckPath = "/grpc.health.v1.Health/Check";
    public const string WatchPath = "/grpc.health.v1.Health/Watch";

    private readonly Func<string, CancellationToken, ValueTask<ServingStatus?>> _status;
    private readonly TimeProvider _time;
    private readonly TimeSpan _watchInterval;

    public GrpcHealthService(Func<string, CancellationToken, ValueTask<ServingStatus?>> status, TimeProvider time, TimeSpan watchInterval)
    {
        _status = status;
        _time = time;
        _watchInterval = watchInterval;
    }

    /// <summary>Maps Check and Watch.</summary>
    public void Map(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGrpcUnary<HealthCheckRequest, HealthCheckResponse>(CheckPath, HealthCheckRequest.Parser, CheckAsync);
        endpoints.MapGrpcServerStreaming<HealthCheckRequest, HealthCheckResponse>(WatchPath, HealthCheckRequest.Parser, WatchAsync);
    }

    internal async ValueTask<HealthCheckResponse> CheckAsync(HealthCheckRequest request, GrpcCallContext call)
    {
        var status = await _status(request.Service, call.CancellationToken).ConfigureAwait(false)
            ?? throw new GrpcException(GrpcStatusCode.NotFound, $"unknown service '{request.Service}'");
        return new HealthCheckResponse { Status = status };
    }

    // Watch re-evaluates on a timer and sends only changes: simple, and health changes are rare.
    internal async Task WatchAsync(HealthCheckRequest request, GrpcMessageWriter<HealthCheckResponse> writer, GrpcCallContext call)
    {
        ServingStatus? last = null;
        using var timer = new PeriodicTimer(_watchInterval, _time);
        do
        {
            var status = await _status(request.Service, call.CancellationToken).ConfigureAwait(false) ?? ServingStatus.ServiceUnknown;
            if (status != last)
            {
                await writer.WriteAsync(new HealthCheckResponse { Status = status }, call.CancellationToken).ConfigureAwait(false);
                last = status;
            }
        }
        while (await timer.WaitForNextTickAsync(call.CancellationToken).ConfigureAwait(false));
    }
}
