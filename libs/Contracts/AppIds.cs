namespace InferenceMesh.Contracts;

/// <summary>Dapr app-ids of the four services; must match dapr.yaml, components scopes and deploy/k8s annotations.</summary>
public static class AppIds
{
    public const string MetricsCollector = "metrics-collector";
    public const string PrefixIndex = "prefix-index";
    public const string Scheduler = "scheduler";
    public const string ExtProc = "ext-proc";
}
