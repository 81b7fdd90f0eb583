using System.Text.Json;

namespace InferenceMesh.ExtProc;

/// <summary>The one set of rules a request body is read with: the parser reads it once, with these options, and the
/// prompt the hasher works on comes out of that same pass (<see cref="OpenAiRequest.TryParse"/>).</summary>
internal static class RequestJson
{
    /// <summary>Deepest nesting accepted anywhere in the body (tool schemas nest; 256 keeps the reader's stack small).</summary>
    public const int MaxDepth = 256;

    /// <summary>Trailing commas and comments are tolerated (clients send them); the depth is <see cref="MaxDepth"/>.
    /// UTF-8 is validated over the whole body before reading (the reader itself only checks string content lazily).</summary>
    public static readonly JsonReaderOptions ReaderOptions = new()
    {
        AllowTrailingCommas = true,
        CommentHandling = JsonCommentHandling.Skip,
        MaxDepth = MaxDepth,
    };
}
