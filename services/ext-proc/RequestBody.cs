namespace InferenceMesh.ExtProc;

/// <summary>The request body of one stream: buffered to its end (bounded), parsed once (which also writes the canonical
/// prompt), rewritten to the target model and hashed — each step reading the one pooled copy, none allocating per chunk.</summary>
internal sealed class RequestBody : IDisposable
{
    /// <summary>Up-front room is capped: a content-length is a claim, and a stream that never sends its body must not
    /// hold a large buffer. Bigger bodies grow as they arrive.</summary>
    private const int MaxReserveBytes = 1024 * 1024;

    private readonly PooledBuffer _body = new();
    private PooledBuffer? _rewritten;
    private PooledBuffer? _scratch;
    private OpenAiRequest _parsed;

    public int Length => _body.Length;

    /// <summary>The body as it goes to the model server: the rewritten one after <see cref="RewriteModel"/>, else the original.</summary>
    public ReadOnlyMemory<byte> Outgoing => _rewritten?.Memory ?? _body.Memory;

    /// <summary>Sizes the buffer for a body of <paramref name="expectedBytes"/> (Envoy's content-length), so typical
    /// prompts are appended without regrowing; at most <paramref name="maxBytes"/> and 1 MiB.</summary>
    public void Expect(long? expectedBytes, int maxBytes)
    {
        if (expectedBytes is > 0 and var n)
            _body.Reserve((int)Math.Min(n, Math.Min(maxBytes, MaxReserveBytes)));
    }

    /// <summary>Appends a chunk; false (and nothing appended) when the body would exceed <paramref name="maxBytes"/>.</summary>
    public bool TryAppend(ReadOnlySpan<byte> chunk, int maxBytes)
    {
        if ((long)_body.Length + chunk.Length > maxBytes)
            return false;
        _body.Append(chunk);
        return true;
    }

    /// <summary>Parses the OpenAI body once (model, stream, canonical prompt); the model, or a 400 with a fixed message
    /// for a body that is not a valid JSON object, a missing <c>model</c>, or one longer than <paramref name="maxModelLength"/>.</summary>
    /// <param name="maxPromptBytes">The hasher's <see cref="IPromptHasher.MaxPromptBytes"/>.</param>
    public bool TryParse(int maxPromptBytes, int maxModelLength, out string model, out Rejection rejection)
    {
        model = "";
        rejection = default;
        _scratch ??= new PooledBuffer();
        if (!OpenAiRequest.TryParse(_body.Span, _scratch, maxPromptBytes, maxModelLength, out _parsed))
        {
            rejection = Rejection.InvalidBody;
            return false;
        }
        if (_parsed.ModelTooLong)
        {
            rejection = Rejection.ModelTooLong;
            return false;
        }
        if (string.IsNullOrEmpty(_parsed.Model))
        {
            rejection = Rejection.ModelMissing;
            return false;
        }
        model = _parsed.Model;
        return true;
    }

    /// <summary>Replaces the <c>model</c> value with <paramref name="targetModel"/> (one copy of the body, pooled).</summary>
    public void RewriteModel(string targetModel)
    {
        _rewritten ??= new PooledBuffer();
        _rewritten.Clear();
        var original = _body.Span;
        var (start, length) = _parsed.ModelToken.GetOffsetAndLength(original.Length);
        _rewritten.Append(original[..start]);
        _rewritten.Append(JsonModelRewriter.Quoted(targetModel));
        _rewritten.Append(original[(start + length)..]);
    }

    /// <summary>The prefix block-hash chain of the parsed prompt under <paramref name="model"/> (the resolved target,
    /// never a name the client chose freely).</summary>
    public ulong[] Hash(IPromptHasher hasher, string model) =>
        hasher.Hash(model, PromptText.Get(_body.Span, _parsed, _scratch!));

    public void Dispose()
    {
        _body.Dispose();
        _rewritten?.Dispose();
        _scratch?.Dispose();
    }
}
