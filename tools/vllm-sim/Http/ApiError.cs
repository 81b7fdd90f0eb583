namespace InferenceMesh.VllmSim.Http;

/// <summary>An error answered in vLLM's OpenAI-compatible shape: <c>{"error":{"message","type","param","code"}}</c>.</summary>
internal sealed record ApiError(int Status, string Message, string? Param = null)
{
    public string Type => Status switch
    {
        400 => "BadRequestError",
        404 => "NotFoundError",
        _ => "InternalServerError",
    };
}
