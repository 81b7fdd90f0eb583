using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace InferenceMesh.TestSupport.KubernetesStandIn;

/// <summary>Test-only stand-in for the Kubernetes API server: serves list and chunked watch streams (ADDED/MODIFIED/DELETED,
/// BOOKMARK, ERROR 410) of any collection path from an in-memory store with a global resourceVersion and an event history
/// that can be compacted to force "410 Gone". It answers the queries KubernetesClient sends: <c>limit</c>/<c>labelSelector</c> lists,
/// <c>watch=true&amp;resourceVersion=…&amp;allowWatchBookmarks=true</c> watches as JSON lines.</summary>
public sealed class FakeKubernetesApi : IAsyncDisposable
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Dictionary<string, JsonObject>> _collections = new(StringComparer.Ordinal);
    private readonly List<(long Rv, string Path, string Type, JsonObject Obj)> _history = [];
    private readonly List<Watcher> _watchers = [];
    private readonly Dictionary<string, int> _lists = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _watches = new(StringComparer.Ordinal);
    private readonly HashSet<string> _notServed = new(StringComparer.Ordinal);
    private long _rv = 100;
    private long _compactedBelow;
    private WebApplication? _app;

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>When true, a watch from a compacted resourceVersion gets an HTTP 410; otherwise (like a real API server) a 200
    /// stream whose first event is ERROR with a 410 Status.</summary>
    public bool GoneAsHttpStatus { get; set; }

    public string? LastAuthorization { get; private set; }

    /// <summary>The query string of the last watch request.</summary>
    public string? LastWatchQuery { get; private set; }

    /// <summary>Answers 404 for <paramref name="path"/>, like a server without that CRD version installed.</summary>
    public void NotServed(string path)
    {
        lock (_lock)
            _notServed.Add(path.Trim('/'));
    }

    public static async Task<FakeKubernetesApi> StartAsync()
    {
        var api = new FakeKubernetesApi();
        (api._app, api.BaseAddress) = await TestServers.StartAsync(app => app.Map("/{**path}", api.HandleAsync));
        return api;
    }

    public int ListCalls(string path)
    {
        lock (_lock)
            return _lists.GetValueOrDefault(path.Trim('/'));
    }

    public int WatchCalls(string path)
    {
        lock (_lock)
            return _watches.GetValueOrDefault(path.Trim('/'));
    }

    public int ActiveWatchers
    {
        get
        {
            lock (_lock)
                return _watchers.Count;
        }
    }

    /// <summary>Creates or replaces an object (ADDED or MODIFIED).</summary>
    public void Upsert(string path, JsonObject obj)
    {
        path = path.Trim('/');
        lock (_lock)
        {
            var rv = ++_rv;
            var copy = (JsonObject)obj.DeepClone();
            var meta = copy["metadata"]!.AsObject();
            meta["resourceVersion"] = rv.ToString(CultureInfo.InvariantCulture);
            var name = meta["name"]!.GetValue<string>();
            if (!_collections.TryGetValue(path, out var items))
                _collections[path] = items = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
            var type = items.ContainsKey(name) ? "MODIFIED" : "ADDED";
            items[name] = copy;
            Record(rv, path, type, copy);
        }
    }

    public void Delete(string path, string name)
    {
        path = path.Trim('/');
        lock (_lock)
        {
            if (!_collections.TryGetValue(path, out var items) || !items.Remove(name, out var obj))
                return;
            var rv = ++_rv;
            var copy = (JsonObject)obj.DeepClone();
            copy["metadata"]!["resourceVersion"] = rv.ToString(CultureInfo.InvariantCulture);
            Record(rv, path, "DELETED", copy);
        }
    }

    /// <summary>Sends a BOOKMARK carrying the current resourceVersion to every watcher of <paramref name="path"/>.</summary>
    public void Bookmark(string path)
    {
        path = path.Trim('/');
        lock (_lock)
        {
            var rv = ++_rv;
            var obj = new JsonObject { ["kind"] = "Pod", ["metadata"] = new JsonObject { ["resourceVersion"] = rv.ToString(CultureInfo.InvariantCulture) } };
            foreach (var w in _watchers)
            {
                if (w.Path == path)
                    w.Events.Writer.TryWrite(Line("BOOKMARK", obj));
            }
        }
    }

    /// <summary>Compacts the history: every open watch gets an ERROR 410 event and is closed, and any watch from an older
    /// resourceVersion is refused until the client relists.</summary>
    public void ExpireHistory()
    {
        lock (_lock)
        {
            _compactedBelow = _rv + 1;
            _history.Clear();
            foreach (var w in _watchers)
            {
                w.Events.Writer.TryWrite(Line("ERROR", GoneStatus()));
                w.Events.Writer.TryComplete();
            }
            _watchers.Clear();
        }
    }

    private void Record(long rv, string path, string type, JsonObject obj)
    {
        _history.Add((rv, path, type, obj));
        foreach (var w in _watchers)
        {
            if (w.Path == path && Matches(w.Selector, obj))
                w.Events.Writer.TryWrite(Line(type, obj));
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value!.Trim('/');
        LastAuthorization = context.Request.Headers.Authorization.ToString();
        var selector = ParseSelector(context.Request.Query["labelSelector"].ToString());
        bool notServed;
        lock (_lock)
            notServed = _notServed.Contains(path);
        if (notServed)
        {
            context.Response.StatusCode = 404;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(Status(404, "NotFound", $"the server could not find the requested resource ({path})").ToJsonString());
            return;
        }
        if (context.Request.Query["watch"] == "true")
        {
            LastWatchQuery = context.Request.QueryString.Value;
            await WatchAsync(context, path, selector);
            return;
        }
        string body;
        lock (_lock)
        {
            _lists[path] = _lists.GetValueOrDefault(path) + 1;
            var items = new JsonArray();
            if (_collections.TryGetValue(path, out var objects))
            {
                foreach (var o in objects.Values)
                {
                    if (Matches(selector, o))
                        items.Add(o.DeepClone());
                }
            }
            body = new JsonObject
            {
                ["kind"] = "List",
                ["apiVersion"] = "v1",
                ["metadata"] = new JsonObject { ["resourceVersion"] = _rv.ToString(CultureInfo.InvariantCulture) },
                ["items"] = items,
            }.ToJsonString();
        }
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body);
    }

    private async Task WatchAsync(HttpContext context, string path, Dictionary<string, string> selector)
    {
        var from = long.Parse(context.Request.Query["resourceVersion"].ToString() is { Length: > 0 } s ? s : "0", CultureInfo.InvariantCulture);
        Watcher watcher;
        var goneStatus = false;
        lock (_lock)
        {
            _watches[path] = _watches.GetValueOrDefault(path) + 1;
            watcher = new Watcher(path, selector);
            if (from < _compactedBelow && GoneAsHttpStatus)
            {
                goneStatus = true;
            }
            else if (from < _compactedBelow)
            {
                watcher.Events.Writer.TryWrite(Line("ERROR", GoneStatus()));
                watcher.Events.Writer.TryComplete();
            }
            else
            {
                foreach (var (rv, p, type, obj) in _history)
                {
                    if (rv > from && p == path && Matches(selector, obj))
                        watcher.Events.Writer.TryWrite(Line(type, obj));
                }
                _watchers.Add(watcher);
            }
        }
        context.Response.ContentType = "application/json";
        if (goneStatus)
        {
            context.Response.StatusCode = 410;
            await context.Response.WriteAsync(GoneStatus().ToJsonString());
            return;
        }
        await context.Response.StartAsync();
        try
        {
            await foreach (var line in watcher.Events.Reader.ReadAllAsync(context.RequestAborted))
            {
                await context.Response.WriteAsync(line, context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
            }
        }
        catch (OperationCanceledException)
        {
            // The client went away.
        }
        finally
        {
            lock (_lock)
                _watchers.Remove(watcher);
        }
    }

    private static JsonObject GoneStatus() => Status(410, "Expired", "too old resource version");

    private static JsonObject Status(int code, string reason, string message) => new()
    {
        ["kind"] = "Status",
        ["apiVersion"] = "v1",
        ["status"] = "Failure",
        ["message"] = message,
        ["reason"] = reason,
        ["code"] = code,
    };

    private static string Line(string type, JsonObject obj) =>
        new JsonObject { ["type"] = type, ["object"] = obj.DeepClone() }.ToJsonString() + "\n";

    private static Dictionary<string, string> ParseSelector(string selector)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var part in selector.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            map[part[..eq]] = part[(eq + 1)..];
        }
        return map;
    }

    private static bool Matches(Dictionary<string, string> selector, JsonObject obj)
    {
        if (selector.Count == 0)
            return true;
        var labels = obj["metadata"]?["labels"] as JsonObject;
        foreach (var (k, v) in selector)
        {
            if (labels?[k]?.GetValue<string>() != v)
                return false;
        }
        return true;
    }

    public async ValueTask DisposeAsync()
    {
        lock (_lock)
        {
            foreach (var w in _watchers)
                w.Events.Writer.TryComplete();
        }
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    private sealed class Watcher(string path, Dictionary<string, string> selector)
    {
        public string Path { get; } = path;

        public Dictionary<string, string> Selector { get; } = selector;

        public Channel<string> Events { get; } = Channel.CreateUnbounded<string>();
    }

    /// <summary>Builds Kubernetes-shaped objects for tests.</summary>
    public static JsonObject Pod(string name, string app, string? ip, bool ready, string? engine = null)
    {
        var labels = new JsonObject { ["app"] = app };
        if (engine is not null)
            labels["inference.networking.k8s.io/engine-type"] = engine;
        var status = new JsonObject
        {
            ["phase"] = ready ? "Running" : "Pending",
            ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = ready ? "True" : "False" }),
        };
        if (ip is not null)
            status["podIP"] = ip;
        return new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = "default", ["labels"] = labels },
            ["status"] = status,
        };
    }

    public static JsonObject AlphaPool(string name, string app, int port, string? strategy = null) => new()
    {
        ["apiVersion"] = "inference.networking.x-k8s.io/v1alpha2",
        ["kind"] = "InferencePool",
        ["metadata"] = new JsonObject
        {
            ["name"] = name,
            ["namespace"] = "default",
            ["annotations"] = strategy is null ? new JsonObject() : new JsonObject { ["inference.networking.x-k8s.io/routing-strategy"] = strategy },
        },
        ["spec"] = new JsonObject
        {
            ["selector"] = new JsonObject { ["app"] = app },
            ["targetPortNumber"] = port,
            ["extensionRef"] = new JsonObject { ["name"] = "epp" },
        },
    };

    public static JsonObject GaPool(string name, string app, params int[] ports)
    {
        var targetPorts = new JsonArray();
        foreach (var p in ports)
            targetPorts.Add(new JsonObject { ["number"] = p });
        return new JsonObject
        {
            ["apiVersion"] = "inference.networking.k8s.io/v1",
            ["kind"] = "InferencePool",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = "default" },
            ["spec"] = new JsonObject
            {
                ["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["app"] = app } },
                ["targetPorts"] = targetPorts,
                ["endpointPickerRef"] = new JsonObject { ["name"] = "epp", ["port"] = new JsonObject { ["number"] = 9002 } },
            },
        };
    }

    /// <summary>A v1alpha2 InferenceObjective of <paramref name="pool"/>; a null <paramref name="priority"/> leaves the field out.</summary>
    public static JsonObject Objective(string name, int? priority, string pool)
    {
        var spec = new JsonObject { ["poolRef"] = new JsonObject { ["group"] = "inference.networking.k8s.io", ["kind"] = "InferencePool", ["name"] = pool } };
        if (priority is { } p)
            spec["priority"] = p;
        return new JsonObject
        {
            ["apiVersion"] = "inference.networking.x-k8s.io/v1alpha2",
            ["kind"] = "InferenceObjective",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = "default" },
            ["spec"] = spec,
        };
    }

    public static JsonObject Model(string name, string modelName, string criticality, string pool, params (string Name, int Weight)[] targets)
    {
        var t = new JsonArray();
        foreach (var (n, w) in targets)
            t.Add(new JsonObject { ["name"] = n, ["weight"] = w });
        return new JsonObject
        {
            ["apiVersion"] = "inference.networking.x-k8s.io/v1alpha2",
            ["kind"] = "InferenceModel",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = "default" },
            ["spec"] = new JsonObject
            {
                ["modelName"] = modelName,
                ["criticality"] = criticality,
                ["poolRef"] = new JsonObject { ["name"] = pool },
                ["targetModels"] = t,
            },
        };
    }
}
