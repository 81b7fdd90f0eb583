using System.Buffers;
using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using InferenceMesh.Contracts;

namespace InferenceMesh.Dapr;

public sealed partial class DaprClient
{
    /// <summary>Calls <c>/v1.0/invoke/{appId}/method/{methodPath}</c> and returns the callee's response as is (status codes pass through); the caller disposes it.</summary>
    public async Task<HttpResponseMessage> InvokeMethodRawAsync(HttpMethod method, string appId, string methodPath, HttpContent? content = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentException.ThrowIfNullOrEmpty(appId);
        ArgumentNullException.ThrowIfNull(methodPath);
        using var request = NewRequest(method, InvokePath(appId, methodPath));
        request.Content = content;
        return await SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>POSTs <paramref name="request"/> as JSON and reads a <typeparamref name="TResponse"/>; a non-2xx answer throws <see cref="DaprInvocationException"/>.</summary>
    public async Task<TResponse> InvokeMethodAsync<TRequest, TResponse>(string appId, string methodPath, TRequest request, JsonTypeInfo<TRequest> requestType, JsonTypeInfo<TResponse> responseType, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(requestType);
        ArgumentNullException.ThrowIfNull(responseType);
        using var response = await InvokeMethodRawAsync(HttpMethod.Post, appId, methodPath, Serialize(request, requestType), cancellationToken).ConfigureAwait(false);
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
            throw InvocationError(appId, methodPath, response.StatusCode, body);
        try
        {
            return JsonSerializer.Deserialize(body, responseType)
                ?? throw new DaprInvocationException($"{appId}/{methodPath} answered JSON null", appId, methodPath, response.StatusCode, "ERR_DESERIALIZE", null, null);
        }
        catch (JsonException ex)
        {
            throw new DaprInvocationException($"{appId}/{methodPath} answered an invalid {typeof(TResponse).Name}: {ex.Message}", appId, methodPath, response.StatusCode, "ERR_DESERIALIZE", Truncate(body), null);
        }
    }

    /// <summary>POSTs <paramref name="request"/> as JSON and expects any 2xx; a non-2xx answer throws <see cref="DaprInvocationException"/>.</summary>
    public async Task InvokeMethodAsync<TRequest>(string appId, string methodPath, TRequest request, JsonTypeInfo<TRequest> requestType, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(requestType);
        using var response = await InvokeMethodRawAsync(HttpMethod.Post, appId, methodPath, Serialize(request, requestType), cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            throw InvocationError(appId, methodPath, response.StatusCode, body);
        }
    }

    /// <summary>GETs <paramref name="methodPath"/> and reads a <typeparamref name="TResponse"/>; a non-2xx answer throws <see cref="DaprInvocationException"/>.</summary>
    public async Task<TResponse> InvokeMethodGetAsync<TResponse>(string appId, string methodPath, JsonTypeInfo<TResponse> responseType, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(responseType);
        using var response = await InvokeMethodRawAsync(HttpMethod.Get, appId, methodPath, null, cancellationToken).ConfigureAwait(false);
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
            throw InvocationError(appId, methodPath, response.StatusCode, body);
        try
        {
            return JsonSerializer.Deserialize(body, responseType)
                ?? throw new DaprInvocationException($"{appId}/{methodPath} answered JSON null", appId, methodPath, response.StatusCode, "ERR_DESERIALIZE", null, null);
        }
        catch (JsonException ex)
        {
            throw new DaprInvocationException($"{appId}/{methodPath} answered an invalid {typeof(TResponse).Name}: {ex.Message}", appId, methodPath, response.StatusCode, "ERR_DESERIALIZE", Truncate(body), null);
        }
    }

    private static string InvokePath(string appId, string methodPath) =>
        $"v1.0/invoke/{Escape(appId)}/method/{methodPath.TrimStart('/')}";

    private static ReadOnlyMemoryContent Serialize<T>(T value, JsonTypeInfo<T> typeInfo)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
            JsonSerializer.Serialize(writer, value, typeInfo);
        return JsonContent(buffer);
    }

    private static DaprInvocationException InvocationError(string appId, string method, HttpStatusCode status, byte[] body)
    {
        var (errorCode, daprMessage) = ParseError(body);
        ProblemReason? problem = null;
        if (errorCode is null && body.Length > 0)
        {
            try
            {
                problem = JsonSerializer.Deserialize(body, ContractsJsonContext.Default.ProblemReason);
            }
            catch (JsonException)
            {
                // Not a ProblemReason: the raw body is kept instead.
            }
        }
        var detail = problem?.Reason ?? daprMessage ?? Truncate(body);
        return new DaprInvocationException($"Invoking {appId}/{method} failed: {(int)status} {errorCode}: {detail}".Replace(" : ", ": ", StringComparison.Ordinal),
            appId, method, status, errorCode, Truncate(body), problem);
    }
}
