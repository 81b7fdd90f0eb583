using System.Text.Json;
using InferenceMesh.Contracts;
using k8s.Models;

namespace InferenceMesh.Kubernetes;

/// <summary>Maps Kubernetes-shaped JSON (from the API server or the local YAML file) to the contract records.</summary>
public static partial class InferenceResources
{
    /// <summary>Reads an InferencePool of either API version: v1alpha2 (<c>spec.selector</c> map, <c>spec.targetPortNumber</c>,
    /// <c>spec.extensionRef</c> with <c>portNumber</c>) or GA v1 (<c>spec.selector.matchLabels</c>, up to 8
    /// <c>spec.targetPorts[].number</c>, <c>spec.appProtocol</c>, <c>spec.endpointPickerRef</c> with <c>port.number</c>).</summary>
    public static bool TryParsePool(JsonElement obj, out InferencePoolSpec pool, out string? problem)
    {
        pool = null!;
        if (!TryNameAndSpec(obj, "InferencePool", out var name, out var spec, out problem))
            return false;
        Dictionary<string, string> selector;
        if (Json.TryGetObject(spec, "selector", out var sel) && Json.TryGetObject(sel, "matchLabels", out _))
            selector = Json.GetStringMap(sel, "matchLabels");
        else
            selector = Json.GetStringMap(spec, "selector");
        if (selector.Count == 0)
        {
            problem = $"InferencePool {name} has an empty selector";
            return false;
        }
        var ports = new List<int>();
        if (Json.TryGetArray(spec, "targetPorts", out var targetPorts))
        {
            foreach (var p in targetPorts.EnumerateArray())
            {
                if (Json.TryGetInt(p, "number", out var port) && port is > 0 and < 65536)
                    ports.Add(port);
            }
        }
        if (Json.TryGetInt(spec, "targetPortNumber", out var single) && single is > 0 and < 65536 && !ports.Contains(single))
            ports.Add(single);
        if (ports.Count == 0)
        {
            problem = $"InferencePool {name} has no valid target port (spec.targetPortNumber or spec.targetPorts[].number)";
            return false;
        }
        if (ports.Count > MaxTargetPorts)
        {
            problem = $"InferencePool {name} has {ports.Count} target ports; v1 allows at most {MaxTargetPorts}";
            return false;
        }
        var appProtocol = Json.GetString(spec, "appProtocol");
        if (string.IsNullOrEmpty(appProtocol))
            appProtocol = InferencePoolSpec.AppProtocolHttp;
        else if (appProtocol is not (InferencePoolSpec.AppProtocolHttp or InferencePoolSpec.AppProtocolH2c))
        {
            problem = $"InferencePool {name} has unknown spec.appProtocol '{appProtocol}' (http or kubernetes.io/h2c)";
            return false;
        }
        if (!TryParsePickerRef(spec, name, out var picker, out problem))
            return false;
        pool = new InferencePoolSpec(name, Namespace(obj), selector, ports, Metadata(obj, "annotations"), appProtocol, picker);
        return true;
    }

    /// <summary>v1 <c>spec.targetPorts</c> maxItems.</summary>
    public const int MaxTargetPorts = 8;

    /// <summary>v1 <c>endpointPickerRef</c> (<c>port.number</c>) or v1alpha2 <c>extensionRef</c> (<c>portNumber</c>); none is fine.</summary>
    private static bool TryParsePickerRef(JsonElement spec, string pool, out EndpointPickerRef? picker, out string? problem)
    {
        picker = null;
        problem = null;
        if (!Json.TryGetObject(spec, "endpointPickerRef", out var r) && !Json.TryGetObject(spec, "extensionRef", out r))
            return true;
        var refName = Json.GetString(r, "name");
        if (string.IsNullOrEmpty(refName))
        {
            problem = $"InferencePool {pool} has an endpoint picker reference without a name";
            return false;
        }
        var kind = Json.GetString(r, "kind");
        kind = string.IsNullOrEmpty(kind) ? "Service" : kind;
        var port = Json.TryGetObject(r, "port", out var p) && Json.TryGetInt(p, "number", out var n) ? n
            : Json.TryGetInt(r, "portNumber", out var legacy) ? legacy : 0;
        var failureMode = Json.GetString(r, "failureMode");
        failureMode = string.IsNullOrEmpty(failureMode) ? EndpointPickerRef.FailClose : failureMode;
        if (failureMode is not (EndpointPickerRef.FailClose or EndpointPickerRef.FailOpen))
        {
            problem = $"InferencePool {pool} has unknown failureMode '{failureMode}' (FailOpen or FailClose)";
            return false;
        }
        picker = new EndpointPickerRef(refName, kind, port, failureMode);
        return true;
    }

    /// <summary>Reads a v1alpha2 InferenceModel (<c>modelName</c>, <c>criticality</c>, <c>targetModels</c>, <c>poolRef</c>).</summary>
    public static bool TryParseModel(JsonElement obj, out InferenceModelSpec model, out string? problem)
    {
        model = null!;
        if (!TryNameAndSpec(obj, "InferenceModel", out var name, out var spec, out problem))
            return false;
        var modelName = Json.GetString(spec, "modelName");
        if (string.IsNullOrEmpty(modelName))
        {
            problem = $"InferenceModel {name} has no spec.modelName";
            return false;
        }
        var criticality = Criticality.Standard; // The v1alpha2 default.
        var c = Json.GetString(spec, "criticality");
        if (!string.IsNullOrEmpty(c) && !Enum.TryParse(c, ignoreCase: true, out criticality))
        {
            problem = $"InferenceModel {name} has unknown criticality '{c}' (Critical, Standard or Sheddable)";
            return false;
        }
        string? poolRef = null;
        if (Json.TryGetObject(spec, "poolRef", out var pr))
            poolRef = Json.GetString(pr, "name");
        if (string.IsNullOrEmpty(poolRef))
        {
            problem = $"InferenceModel {name} has no spec.poolRef.name";
            return false;
        }
        var targets = new List<TargetModel>();
        if (Json.TryGetArray(spec, "targetModels", out var tm))
        {
            foreach (var t in tm.EnumerateArray())
            {
                var target = Json.GetString(t, "name");
                if (string.IsNullOrEmpty(target))
                {
                    problem = $"InferenceModel {name} has a target model without a name";
                    return false;
                }
                // Weights are all set or all unset; unset means equal shares.
                var weight = Json.TryGetInt(t, "weight", out var w) ? w : 1;
                if (weight < 0)
                {
                    problem = $"InferenceModel {name} target {target} has a negative weight";
                    return false;
                }
                targets.Add(new TargetModel(target, weight));
            }
        }
        model = new InferenceModelSpec(name, modelName, criticality, targets, poolRef);
        return true;
    }

    /// <summary>Reads a Pod's name, labels, IP and readiness (Ready condition True, not being deleted); from the API
    /// server or the pool file (<see cref="PoolFile"/>).</summary>
    public static bool TryParsePod(V1Pod obj, out PodInfo pod)
    {
        ArgumentNullException.ThrowIfNull(obj);
        pod = null!;
        if (obj.Metadata?.Name is not { Length: > 0 } name)
            return false;
        var ready = false;
        if (obj.Status?.Conditions is { } conditions)
        {
            foreach (var condition in conditions)
            {
                if (condition.Type == "Ready")
                    ready = string.Equals(condition.Status, "True", StringComparison.OrdinalIgnoreCase);
            }
        }
        if (obj.Metadata.DeletionTimestamp is not null)
            ready = false;
        var labels = obj.Metadata.Labels is { } l ? new Dictionary<string, string>(l, StringComparer.Ordinal) : new Dictionary<string, string>(StringComparer.Ordinal);
        var ip = obj.Status?.PodIP;
        pod = new PodInfo(name, obj.Metadata.NamespaceProperty is { Length: > 0 } ns ? ns : "default", labels, string.IsNullOrEmpty(ip) ? null : ip, ready);
        return true;
    }

    /// <summary>Whether every selector label is on the pod with the same value.</summary>
    public static bool Matches(IReadOnlyDictionary<string, string> selector, IReadOnlyDictionary<string, string> labels)
    {
        ArgumentNullException.ThrowIfNull(selector);
        ArgumentNullException.ThrowIfNull(labels);
        foreach (var (k, v) in selector)
        {
            if (!labels.TryGetValue(k, out var actual) || !string.Equals(actual, v, StringComparison.Ordinal))
                return false;
        }
        return true;
    }

    /// <summary>The label selector query string (<c>k1=v1,k2=v2</c>, sorted so equal selectors compare equal).</summary>
    public static string LabelSelector(IReadOnlyDictionary<string, string> selector)
    {
        ArgumentNullException.ThrowIfNull(selector);
        var parts = new List<string>(selector.Count);
        foreach (var (k, v) in selector)
            parts.Add($"{k}={v}");
        parts.Sort(StringComparer.Ordinal);
        return string.Join(',', parts);
    }

    /// <summary>The endpoints of <paramref name="pool"/>: one per target port of every Ready pod with an IP.</summary>
    public static void AddEndpoints(InferencePoolSpec pool, PodInfo pod, List<DiscoveredEndpoint> into)
    {
        ArgumentNullException.ThrowIfNull(pool);
        ArgumentNullException.ThrowIfNull(pod);
        ArgumentNullException.ThrowIfNull(into);
        if (!pod.Ready || pod.PodIp is null)
            return;
        var engine = pod.Labels.TryGetValue(PoolAnnotations.EngineTypeLabel, out var e) && !string.IsNullOrWhiteSpace(e) ? e : "vllm";
        foreach (var port in pool.TargetPorts)
            into.Add(new DiscoveredEndpoint(Address(pod.PodIp, port), pool.Name, engine, pod.Name));
    }

    /// <summary>"ip:port", with brackets for IPv6.</summary>
    public static string Address(string ip, int port)
    {
        ArgumentNullException.ThrowIfNull(ip);
        return ip.Contains(':', StringComparison.Ordinal) && !ip.StartsWith('[') ? $"[{ip}]:{port}" : $"{ip}:{port}";
    }

    /// <summary>metadata.namespace + "/" + metadata.name, the store key of an object.</summary>
    public static string? Key(JsonElement obj)
    {
        var name = Name(obj);
        return name is null ? null : $"{Namespace(obj)}/{name}";
    }

    /// <summary>metadata.name and spec of a <paramref name="kind"/> object; the problem names what is missing.</summary>
    private static bool TryNameAndSpec(JsonElement obj, string kind, out string name, out JsonElement spec, out string? problem)
    {
        spec = default;
        problem = null;
        name = Name(obj)!;
        if (name is null)
        {
            problem = $"{kind} without metadata.name";
            return false;
        }
        if (!Json.TryGetObject(obj, "spec", out spec))
        {
            problem = $"{kind} {name} has no spec";
            return false;
        }
        return true;
    }

    internal static string? Name(JsonElement obj) =>
        Json.TryGetObject(obj, "metadata", out var meta) ? Json.GetString(meta, "name") is { Length: > 0 } n ? n : null : null;

    internal static string Namespace(JsonElement obj) =>
        Json.TryGetObject(obj, "metadata", out var meta) && Json.GetString(meta, "namespace") is { Length: > 0 } ns ? ns : "default";

    internal static Dictionary<string, string> Metadata(JsonElement obj, string field) =>
        Json.TryGetObject(obj, "metadata", out var meta) ? Json.GetStringMap(meta, field) : new Dictionary<string, string>(StringComparer.Ordinal);
}
