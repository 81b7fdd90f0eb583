using System.Text.RegularExpressions;
using Grpc.Net.Client;
using InferenceMesh.Grpc;
using InferenceMesh.Grpc.Envoy.Service.ExtProc.V3;
using Microsoft.Extensions.Options;

namespace InferenceMesh.Gateway;

/// <summary>Route selection the way Envoy does it for the seeds' Gateway: the body-based router (when
/// <c>Gateway:BodyRoutingAddress</c> is set) runs first and may set headers and clear the route cache; then the first
/// <c>Gateway:Routes</c> rule whose header matches picks the InferencePool's Endpoint Picker. With no routes every request
/// goes to <c>Gateway:ExtProcAddress</c>; with routes and no match the answer is 404, as Envoy answers when no route matches.</summary>
internal sealed class GatewayRouter : IDisposable
{
    private static readonly TimeSpan RegexTimeout = TimeSpan.FromMilliseconds(100);

    private readonly List<GrpcChannel> _channels = [];
    private readonly (string Header, string? Exact, Regex? Pattern, ExternalProcessor.ExternalProcessorClient Picker)[] _routes;
    private readonly BodyRoutingCall? _bodyRouting;

    public GatewayRouter(IOptions<GatewayOptions> options)
    {
        var o = options.Value;
        var byAddress = new Dictionary<string, ExternalProcessor.ExternalProcessorClient>(StringComparer.OrdinalIgnoreCase);
        _routes = new (string, string?, Regex?, ExternalProcessor.ExternalProcessorClient)[o.Routes.Count];
        for (var i = 0; i < o.Routes.Count; i++)
        {
            var r = o.Routes[i];
            if (!byAddress.TryGetValue(r.ExtProcAddress, out var client))
                byAddress[r.ExtProcAddress] = client = Client(r.ExtProcAddress);
            // Gateway API / Envoy match the whole header value.
            var pattern = r.RegularExpression is { } p ? new Regex("^(?:" + p + ")$", RegexOptions.NonBacktracking | RegexOptions.CultureInvariant, RegexTimeout) : null;
            _routes[i] = (r.Header, r.Exact, pattern, client);
        }
        if (!string.IsNullOrWhiteSpace(o.BodyRoutingAddress))
            _bodyRouting = new BodyRoutingCall(Client(o.BodyRoutingAddress), o.BodyChunkBytes);
    }

    /// <summary>Whether anything happens before the default picker: a body router or header routes.</summary>
    public bool Enabled => _bodyRouting is not null || _routes.Length > 0;

    /// <summary>Runs the body router (which may answer the request itself, then null) and picks the route's Endpoint
    /// Picker: <paramref name="defaultPicker"/> without routes, null after a 404 for no matching route.</summary>
    public async Task<ExternalProcessor.ExternalProcessorClient?> RouteAsync(HttpContext context, ExternalProcessor.ExternalProcessorClient defaultPicker, CancellationToken ct)
    {
        if (_bodyRouting is not null && !await _bodyRouting.RunAsync(context, ct).ConfigureAwait(false))
            return null;
        if (_routes.Length == 0)
            return defaultPicker;
        var headers = context.Request.Headers;
        foreach (var (header, exact, pattern, picker) in _routes)
        {
            var value = headers[header].ToString();
            if (value.Length == 0)
                continue;
            if (exact is not null ? string.Equals(value, exact, StringComparison.Ordinal) : pattern!.IsMatch(value))
                return picker;
        }
        context.Response.StatusCode = StatusCodes.Status404NotFound;
        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync("no route matches this request", ct).ConfigureAwait(false);
        return null;
    }

    private ExternalProcessor.ExternalProcessorClient Client(string address)
    {
        var channel = H2cChannel.Create(new Uri(address), skipCertificateValidation: true);
        _channels.Add(channel);
        return new ExternalProcessor.ExternalProcessorClient(channel);
    }

    public void Dispose()
    {
        foreach (var c in _channels)
            c.Dispose();
    }
}
