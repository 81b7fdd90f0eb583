using System.Diagnostics.Metrics;

namespace InferenceMesh.Redis;

/// <summary>Process-wide instruments of the Redis client (meter <c>InferenceMesh.Redis</c>).</summary>
internal static class RedisMetrics
{
    public static readonly Meter Meter = new("InferenceMesh.Redis");

    public static readonly Counter<long> Commands = Meter.CreateCounter<long>("inferencemesh_redis_commands", description: "Commands sent to Redis.");

    public static readonly Counter<long> Errors = Meter.CreateCounter<long>("inferencemesh_redis_errors", description: "Commands that failed, by kind (server, connection, timeout).");

    public static readonly Counter<long> Reconnects = Meter.CreateCounter<long>("inferencemesh_redis_reconnects", description: "Connections re-established after a loss.");

    public static readonly Counter<long> ScriptLoads = Meter.CreateCounter<long>("inferencemesh_redis_script_loads", description: "SCRIPT LOAD after NOSCRIPT.");
}
