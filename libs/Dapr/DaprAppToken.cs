using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace InferenceMesh.Dapr;

/// <summary>Checks the <c>dapr-api-token</c> header the sidecar sends to the app when <c>APP_API_TOKEN</c> is set.</summary>
internal static class DaprAppToken
{
    public static bool IsAuthorized(HttpRequest request, string? expected)
    {
        if (string.IsNullOrEmpty(expected))
            return true;
        var presented = request.Headers[DaprClient.ApiTokenHeader].ToString();
        // Constant-time so the comparison does not leak how much of the token matched.
        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), Encoding.UTF8.GetBytes(expected));
    }
}
