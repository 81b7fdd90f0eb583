using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace InferenceMesh.Deploy.Tests.Support;

/// <summary>
/// A Kubernetes API server stand-in on loopback port 0 that serves only discovery (for <see cref="KnownKinds"/>)
/// and answers 404 for every object, which is all <c>kubectl apply --dry-run=client</c> needs to map kinds and
/// decide "create". Unknown kinds get no discovery entry, so kubectl rejects them as it would on a real cluster.
/// </summary>
internal sealed class FakeApiServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeApiServer(WebApplication app, string url)
    {
        _app = app;
        Url = url;
    }

    public string Url { get; }

    /// <summary>Every request as "METHOD path".</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    public static async Task<FakeApiServer> StartAsync(IReadOnlyList<ApiKind> kinds)
    {
        FakeApiServer? self = null;
        var (started, address) = await TestServers.StartAsync(app =>
        {
            app.Use(async (ctx, next) =>
            {
                self!.Requests.Enqueue($"{ctx.Request.Method} {ctx.Request.Path}");
                await next(ctx);
            });
            app.MapGet("/api", () => Json(new JsonObject
            {
                ["kind"] = "APIVersions",
                ["versions"] = new JsonArray("v1"),
                ["serverAddressByClientCIDRs"] = new JsonArray(new JsonObject { ["clientCIDR"] = "0.0.0.0/0", ["serverAddress"] = "127.0.0.1" }),
            }));
            app.MapGet("/apis", () => Json(GroupList(kinds)));
            app.MapGet("/api/{version}", (string version) => ResourceList(kinds, "", version));
            app.MapGet("/apis/{group}/{version}", (string group, string version) => ResourceList(kinds, group, version));
            app.MapFallback(() => Json(new JsonObject
            {
                ["kind"] = "Status",
                ["apiVersion"] = "v1",
                ["status"] = "Failure",
                ["reason"] = "NotFound",
                ["code"] = 404,
            }, StatusCodes.Status404NotFound));
        });
        self = new FakeApiServer(started, address.GetLeftPart(UriPartial.Authority));
        return self;
    }

    /// <summary>A kubeconfig file pointing at this server, written to a fresh temp path.</summary>
    public string WriteKubeconfig()
    {
        var path = Path.Combine(Path.GetTempPath(), $"inferencemesh-kubeconfig-{Guid.NewGuid():N}");
        File.WriteAllText(path, $"""
            apiVersion: v1
            kind: Config
            clusters:
              - name: fake
                cluster:
                  server: "{Url}"
            contexts:
              - name: fake
                context:
                  cluster: fake
                  user: fake
                  namespace: default
            current-context: fake
            users:
              - name: fake
                user: {"{}"}
            """);
        return path;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private static JsonObject GroupList(IReadOnlyList<ApiKind> kinds)
    {
        var groups = new JsonArray();
        foreach (var g in kinds.Where(k => k.Group.Length > 0).GroupBy(k => k.Group))
        {
            var versions = new JsonArray();
            foreach (var v in g.Select(k => k.Version).Distinct())
                versions.Add(new JsonObject { ["groupVersion"] = $"{g.Key}/{v}", ["version"] = v });
            groups.Add(new JsonObject
            {
                ["name"] = g.Key,
                ["versions"] = versions,
                ["preferredVersion"] = versions[0]!.DeepClone(),
            });
        }
        return new JsonObject { ["kind"] = "APIGroupList", ["apiVersion"] = "v1", ["groups"] = groups };
    }

    private static IResult ResourceList(IReadOnlyList<ApiKind> kinds, string group, string version)
    {
        var matching = kinds.Where(k => k.Group == group && k.Version == version).ToList();
        if (matching.Count == 0)
            return Results.NotFound();
        var resources = new JsonArray();
        foreach (var k in matching)
        {
            resources.Add(new JsonObject
            {
                ["name"] = k.Plural,
                ["singularName"] = k.Kind.ToLowerInvariant(),
                ["namespaced"] = k.Namespaced,
                ["kind"] = k.Kind,
                ["verbs"] = new JsonArray("create", "delete", "get", "list", "patch", "update", "watch"),
            });
        }
        return Json(new JsonObject
        {
            ["kind"] = "APIResourceList",
            ["apiVersion"] = "v1",
            ["groupVersion"] = group.Length == 0 ? version : $"{group}/{version}",
            ["resources"] = resources,
        });
    }

    private static IResult Json(JsonObject body, int status = StatusCodes.Status200OK) =>
        Results.Text(body.ToJsonString(), "application/json", statusCode: status);
}
