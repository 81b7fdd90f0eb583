namespace InferenceMesh.Deploy.Tests.Support;

/// <summary>One API resource the manifests may use.</summary>
internal sealed record ApiKind(string Group, string Version, string Kind, string Plural, bool Namespaced)
{
    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";
}

/// <summary>The closed set of kinds deploy/k8s may contain; anything else (a typo, a ClusterRole) fails the tests.</summary>
internal static class KnownKinds
{
    public static readonly IReadOnlyList<ApiKind> All =
    [
        new("", "v1", "Namespace", "namespaces", false),
        new("", "v1", "ServiceAccount", "serviceaccounts", true),
        new("", "v1", "Service", "services", true),
        new("", "v1", "ConfigMap", "configmaps", true),
        new("apps", "v1", "Deployment", "deployments", true),
        new("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", true),
        new("autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", true),
        // Namespaced RBAC only: a ClusterRole or ClusterRoleBinding is not a known kind on purpose.
        new("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", true),
        new("rbac.authorization.k8s.io", "v1", "Role", "roles", true),
        new("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", true),
        new("apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions", false),
        new("dapr.io", "v1alpha1", "Component", "components", true),
        new("dapr.io", "v1alpha1", "Configuration", "configurations", true),
        new("dapr.io", "v1alpha1", "Resiliency", "resiliencies", true),
        new("inference.networking.x-k8s.io", "v1alpha2", "InferencePool", "inferencepools", true),
        new("inference.networking.x-k8s.io", "v1alpha2", "InferenceModel", "inferencemodels", true),
        new("inference.networking.x-k8s.io", "v1alpha2", "InferenceObjective", "inferenceobjectives", true),
        new("inference.networking.k8s.io", "v1", "InferencePool", "inferencepools", true),
        new("gateway.networking.k8s.io", "v1", "GatewayClass", "gatewayclasses", false),
        new("gateway.networking.k8s.io", "v1", "Gateway", "gateways", true),
        new("gateway.networking.k8s.io", "v1", "HTTPRoute", "httproutes", true),
        new("gateway.envoyproxy.io", "v1alpha1", "BackendTrafficPolicy", "backendtrafficpolicies", true),
        new("gateway.envoyproxy.io", "v1alpha1", "ClientTrafficPolicy", "clienttrafficpolicies", true),
        new("gateway.envoyproxy.io", "v1alpha1", "EnvoyExtensionPolicy", "envoyextensionpolicies", true),
        new("gateway.envoyproxy.io", "v1alpha1", "EnvoyPatchPolicy", "envoypatchpolicies", true),
        new("gateway.envoyproxy.io", "v1alpha1", "Backend", "backends", true),
        new("networking.istio.io", "v1", "DestinationRule", "destinationrules", true),
        new("monitoring.coreos.com", "v1", "PodMonitor", "podmonitors", true),
    ];

    /// <summary>Kustomize's own file kinds (not API objects).</summary>
    public static readonly IReadOnlySet<(string ApiVersion, string Kind)> KustomizeFiles = new HashSet<(string, string)>
    {
        ("kustomize.config.k8s.io/v1beta1", "Kustomization"),
        ("kustomize.config.k8s.io/v1alpha1", "Component"),
    };

    public static ApiKind? Find(string? apiVersion, string? kind) =>
        All.FirstOrDefault(k => k.ApiVersion == apiVersion && k.Kind == kind);
}
