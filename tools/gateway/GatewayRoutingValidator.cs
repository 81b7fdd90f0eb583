using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace InferenceMesh.Gateway;

/// <summary>Checks <c>Gateway:Routes</c> and <c>Gateway:BodyRoutingAddress</c> at start, naming the bad key.</summary>
internal sealed class GatewayRoutingValidator : IValidateOptions<GatewayOptions>
{
    public ValidateOptionsResult Validate(string? name, GatewayOptions options)
    {
        var errors = new List<string>();
        if (options.BodyRoutingAddress is { Length: > 0 } bbr && !Uri.TryCreate(bbr, UriKind.Absolute, out _))
            errors.Add($"{GatewayOptions.Section}:{nameof(GatewayOptions.BodyRoutingAddress)} must be an absolute URL such as http://127.0.0.1:9004");
        for (var i = 0; i < options.Routes.Count; i++)
        {
            var r = options.Routes[i];
            var key = $"{GatewayOptions.Section}:{nameof(GatewayOptions.Routes)}:{i}";
            if (string.IsNullOrWhiteSpace(r.Header))
                errors.Add($"{key}:{nameof(GatewayRouteOptions.Header)} is required");
            if (r.Exact is null == r.RegularExpression is null)
                errors.Add($"{key}: set exactly one of {nameof(GatewayRouteOptions.Exact)} and {nameof(GatewayRouteOptions.RegularExpression)}");
            if (!Uri.TryCreate(r.ExtProcAddress, UriKind.Absolute, out _))
                errors.Add($"{key}:{nameof(GatewayRouteOptions.ExtProcAddress)} must be an absolute URL such as http://127.0.0.1:9002");
            if (r.RegularExpression is { } pattern && !IsRegex(pattern))
                errors.Add($"{key}:{nameof(GatewayRouteOptions.RegularExpression)} is not a valid regular expression");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static bool IsRegex(string pattern)
    {
        try
        {
            _ = new Regex(pattern, RegexOptions.NonBacktracking);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
