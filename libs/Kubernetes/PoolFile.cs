using System.Text.Json;
using InferenceMesh.Contracts;
using k8s;
using k8s.Models;
using YamlDotNet.Core;

namespace InferenceMesh.Kubernetes;

/// <summary>Reads the local pool file: a multi-document YAML of Kubernetes-shaped resources (InferencePool, InferenceModel,
/// InferenceObjective, Pod)
/// plus the local-only <c>LocalEndpoints</c> kind that lists endpoints by address (docs/metrics-collector.md).</summary>
public static class PoolFile
{
    /// <summary>Parses <paramref name="yaml"/> into a view limited to <paramref name="poolName"/> (null = every pool).
    /// Throws <see cref="PoolFileException"/> naming the document when anything is invalid.</summary>
    public static PoolView Parse(string yaml, string? poolName = null)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        List<JsonElement> documents;
        try
        {
            documents = YamlJson.ParseDocuments(yaml);
        }
        catch (YamlException ex)
        {
            throw new PoolFileException($"invalid YAML at line {ex.Start.Line}, column {ex.Start.Column}: {ex.Message}", ex);
        }
        // An editor or `cp` that truncates before writing shows a watcher an empty file first; taking it as "no pools"
        // would drop every endpoint for a moment, so it is an error and the last good view stays.
        if (documents.Count == 0)
            throw new PoolFileException("the file holds no YAML document (empty, or read while being written)");

        var pools = new List<InferencePoolSpec>();
        var models = new List<InferenceModelSpec>();
        var objectives = new List<InferenceObjectiveSpec>();
        var pods = new List<PodInfo>();
        var local = new List<(string Pool, DiscoveredEndpoint Endpoint)>();
        var index = 0;
        foreach (var doc in documents)
        {
            index++;
            Read(doc, index, new Found(pools, models, objectives, pods, local));
        }

        if (poolName is not null)
            pools.RemoveAll(p => p.Name != poolName);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var pool in pools)
        {
            if (!names.Add(pool.Name))
                throw new PoolFileException($"InferencePool {pool.Name} is defined twice");
        }
        models.RemoveAll(m => !names.Contains(m.PoolRef));
        objectives.RemoveAll(o => !o.PoolRefs.Any(names.Contains));

        var endpoints = new List<DiscoveredEndpoint>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var pool in pools)
        {
            foreach (var pod in pods)
            {
                if (InferenceResources.Matches(pool.Selector, pod.Labels))
                    InferenceResources.AddEndpoints(pool, pod, endpoints);
            }
            foreach (var (p, endpoint) in local)
            {
                if (p == pool.Name)
                    endpoints.Add(endpoint);
            }
        }
        endpoints.RemoveAll(e => !seen.Add(e.Pool + "|" + e.Address));
        return new PoolView(pools, models, endpoints, objectives);
    }

    private sealed record Found(List<InferencePoolSpec> Pools, List<InferenceModelSpec> Models, List<InferenceObjectiveSpec> Objectives,
        List<PodInfo> Pods, List<(string Pool, DiscoveredEndpoint Endpoint)> Local);

    private static void Read(JsonElement doc, int index, Found found)
    {
        if (doc.ValueKind != JsonValueKind.Object)
            throw new PoolFileException($"document {index} is not a mapping");
        var kind = Json.GetString(doc, "kind");
        switch (kind)
        {
            case "List":
                if (Json.TryGetArray(doc, "items", out var items))
                {
                    foreach (var item in items.EnumerateArray())
                        Read(item, index, found);
                }
                break;
            case InferenceApiVersions.PoolKind:
                if (!InferenceResources.TryParsePool(doc, out var pool, out var poolProblem))
                    throw new PoolFileException($"document {index}: {poolProblem}");
                found.Pools.Add(pool);
                break;
            case InferenceApiVersions.ModelKind:
                if (!InferenceResources.TryParseModel(doc, out var model, out var modelProblem))
                    throw new PoolFileException($"document {index}: {modelProblem}");
                found.Models.Add(model);
                break;
            case InferenceApiVersions.ObjectiveKind:
                if (!InferenceResources.TryParseObjective(doc, out var objective, out var objectiveProblem))
                    throw new PoolFileException($"document {index}: {objectiveProblem}");
                found.Objectives.Add(objective);
                break;
            case InferenceApiVersions.PodKind:
                if (!InferenceResources.TryParsePod(ReadPod(doc, index), out var pod))
                    throw new PoolFileException($"document {index}: Pod without metadata.name");
                found.Pods.Add(pod);
                break;
            case InferenceApiVersions.LocalEndpointsKind:
                ReadLocalEndpoints(doc, index, found.Local);
                break;
            default:
                throw new PoolFileException(
                    $"document {index}: unsupported kind '{kind}' (expected InferencePool, InferenceModel, InferenceObjective, Pod, LocalEndpoints or List)");
        }
    }

    /// <summary>A Pod document as the API server's client reads it, so one mapper serves both sources; like kubectl, a
    /// field of the wrong type (a number as a label value) is an error.</summary>
    private static V1Pod ReadPod(JsonElement doc, int index)
    {
        try
        {
            return KubernetesJson.Deserialize<V1Pod>(doc.GetRawText());
        }
        catch (JsonException ex)
        {
            throw new PoolFileException($"document {index}: invalid Pod: {ex.Message}");
        }
    }

    private static void ReadLocalEndpoints(JsonElement doc, int index, List<(string, DiscoveredEndpoint)> local)
    {
        var name = InferenceResources.Name(doc) ?? "local";
        if (!Json.TryGetObject(doc, "spec", out var spec))
            throw new PoolFileException($"document {index}: LocalEndpoints {name} has no spec");
        var pool = Json.TryGetObject(spec, "poolRef", out var poolRef) ? Json.GetString(poolRef, "name") : null;
        if (string.IsNullOrEmpty(pool))
            throw new PoolFileException($"document {index}: LocalEndpoints {name} has no spec.poolRef.name");
        if (!Json.TryGetArray(spec, "endpoints", out var endpoints))
            throw new PoolFileException($"document {index}: LocalEndpoints {name} has no spec.endpoints list");
        var i = 0;
        foreach (var e in endpoints.EnumerateArray())
        {
            i++;
            var address = Json.GetString(e, "address");
            if (string.IsNullOrEmpty(address) || !TryNormalizeAddress(address, out address))
                throw new PoolFileException($"document {index}: LocalEndpoints {name} endpoint {i} needs an address \"host:port\"");
            var engine = Json.GetString(e, "engine");
            var podName = Json.GetString(e, "name");
            local.Add((pool, new DiscoveredEndpoint(address, pool, string.IsNullOrWhiteSpace(engine) ? "vllm" : engine,
                string.IsNullOrWhiteSpace(podName) ? $"{name}-{i - 1}" : podName)));
        }
    }

    private static bool TryNormalizeAddress(string address, out string normalized)
    {
        normalized = address.Trim();
        var colon = normalized.LastIndexOf(':');
        return colon > 0 && int.TryParse(normalized.AsSpan(colon + 1), out var port) && port is > 0 and < 65536;
    }
}
