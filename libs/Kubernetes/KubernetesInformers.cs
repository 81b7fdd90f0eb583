using System.Text.Json;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace InferenceMesh.Kubernetes;

/// <summary>Creates the informers discovery runs: pods by label selector, and namespaced custom resources.</summary>
public static class KubernetesInformers
{
    /// <summary>Pods of <paramref name="namespace"/> matching <paramref name="labelSelector"/> (null = all).</summary>
    public static KubernetesInformer<V1Pod> Pods(IKubernetes client, string @namespace, string? labelSelector, ILogger logger,
        InformerOptions? options = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentException.ThrowIfNullOrEmpty(@namespace);
        return new KubernetesInformer<V1Pod>(new PodListWatch(client, @namespace, labelSelector), logger, options, time);
    }

    /// <summary>Custom resources <paramref name="group"/>/<paramref name="version"/>/<paramref name="plural"/> of
    /// <paramref name="namespace"/>, as JSON.</summary>
    public static KubernetesInformer<JsonElement> CustomObjects(IKubernetes client, string @namespace, string group, string version,
        string plural, ILogger logger, InformerOptions? options = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentException.ThrowIfNullOrEmpty(@namespace);
        return new KubernetesInformer<JsonElement>(new CustomObjectListWatch(client, @namespace, group, version, plural), logger, options, time);
    }
}
