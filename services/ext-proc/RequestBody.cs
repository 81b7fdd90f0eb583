namespace InferenceMesh.ExtProc;

/// <summary>The request body of one stream: buffered to its end (bounded), parsed once (which also writes the canonical
/// prompt), rewritten to the target model and hashed — each step reading one copy, none allocating per chunk. A body
/// that arrives in one message (BUFFERED, or a prompt smaller than Envoy's chunk) is not copied at all: the message's
/// bytes are immutable, so they are parsed, hashed and re-streamed where they are.</summary>
internal sealed class RequestBody : IDisposable
{
    /// <summary>Up-front room is capped: a content-length is a claim, and a stream that never sends its body must not
    /// hold a large buffer. Bigger bodies grow as they arrive.</summary>
    private const int MaxReserveBytes = 1024 * 1024;

    private readonly PooledBuffer _body = new();
    private ReadOnlyMemory<byte> _single;
    private int _reserve;
    private PooledBuffer? _rewritten;
    private PooledBuffer? _scratch;
    private OpenAiRequest _parsed;

    public int Length => Copied ? _body.Length : _single.Length;

    /// <summary>A second non-empty chunk came, so the body lives in the pooled copy (an empty chunk is never kept or copied).</summary>
    private bool Copied => _body.Length > 0;

    /// <summary>The body as received: the one message's bytes, or the pooled copy of several.</summary>
    private ReadOnlyMemory<byte> Received => Copied ? _body.Memory : _single;

    /// <summary>The body as it goes to the model server: the rewritten one after <see cref="RewriteModel"/>, else the original.</summary>
    public ReadOnlyMemory<byte> Outgoing => _rewritten?.Memory ?? Received;

    /// <summary>Notes a body of <paramref name="expectedBytes"/> (Envoy's content-length): when it comes in several
    /// messages the copy is sized for it up front, so typical prompts are appended without regrowing; at most
    /// <paramref name="maxBytes"/> and 1 MiB.</summary>
    public void Expect(long? expectedBytes, int maxBytes)
    {
        if (expectedBytes is > 0 and var n)
            _reserve = (int)Math.Min(n, Math.Min(maxBytes, MaxReserveBytes));
    }

    /// <summary>Appends a chunk; false (and nothing appended) when the body would exceed <paramref name="maxBytes"/>.
    /// The chunk's memory must not change afterwards (a protobuf <c>ByteString</c>'s does not): the first chunk is
    /// kept by reference, and copied only when a second one follows.</summary>
    public bool TryAppend(ReadOnlyMemory<byte> chunk, int maxBytes)
    {
        if ((long)Length + chunk.Length > maxBytes)
            return false;
        if (!Copied && _single.IsEmpty)
        {
            _single = chunk;
            return true;
        }
        if (!Copied)
        {
            _body.Reserve(Math.Max(_reserve, _single.Length + chunk.Length));
            _body.Append(_single.Span);
            _single = default;
        }
        _body.Append(chunk.Span);
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
        if (!OpenAiRequest.TryParse(Received.Span, _scratch, maxPromptBytes, maxModelLength, out _parsed))
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
        var original = Received.Span;
        var (start, length) = _parsed.ModelToken.GetOffsetAndLength(original.Length);
        _rewritten.Append(original[..start]);
        _rewritten.Append(JsonModelRewriter.Quoted(targetModel));
        _rewritten.Append(original[(start + length)..]);
    }

    /// <summary>The prefix block-hash chain of the parsed prompt under <paramref name="model"/> (the resolved target,
    /// never a name the client chose freely).</summary>
    public ulong[] Hash(IPromptHasher hasher, string model) =>
        hasher.Hash(model, PromptText.Get(Received.Span, _parsed, _scratch!));

    public void Dispose()
    {
        _body.Dispose();
        _rewritten?.Dispose();
        _scratch?.Dispose();
    }
}
