using System.Net.Http.Headers;
using System.Text;

namespace InferenceMesh.Dapr;

/// <summary>Calls through an invocation client (<see cref="DaprHostingExtensions.CreateInvocationClient"/>) the way the
/// services make them: a JSON body they serialized themselves, and an error that names the call and what came back.</summary>
public static class DaprInvocation
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");

    /// <summary>How much of an error body goes into a message.</summary>
    private const int MaxBodyText = 512;

    /// <summary>POSTs <paramref name="json"/> (already UTF-8 JSON) to <paramref name="uri"/>; the caller owns the response.</summary>
    public static async Task<HttpResponseMessage> PostJsonAsync(this HttpClient client, Uri uri, byte[] json, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        using var content = new ByteArrayContent(json);
        content.Headers.ContentType = Json;
        return await client.PostAsync(uri, content, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Returns <paramref name="response"/> when it is 2xx; otherwise disposes it and throws an
    /// <see cref="HttpRequestException"/> carrying the status and the start of the body, naming <paramref name="call"/>.</summary>
    public static async Task<HttpResponseMessage> EnsureSuccessAsync(this HttpResponseMessage response, string call, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (response.IsSuccessStatusCode)
            return response;
        using (response)
        {
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            throw new HttpRequestException($"{call} answered HTTP {(int)response.StatusCode}: {BodyText(body)}", null, response.StatusCode);
        }
    }

    /// <summary>The start of a body for a message: "(empty)", or its first 512 bytes as UTF-8.</summary>
    public static string BodyText(ReadOnlySpan<byte> body) =>
        body.IsEmpty ? "(empty)" : Encoding.UTF8.GetString(body[..Math.Min(body.Length, MaxBodyText)]);
}
