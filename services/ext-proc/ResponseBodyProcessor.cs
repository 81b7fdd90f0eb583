namespace InferenceMesh.ExtProc;

/// <summary>The response body on its way back to the client: reads usage (SSE <c>data:</c> events or a JSON body) and,
/// when the request's model was rewritten, restores the client's model name. Without a rewrite every chunk passes
/// through untouched; with one, SSE goes out line by line and JSON is held to the end (bounded).</summary>
internal sealed class ResponseBodyProcessor : IDisposable
{
    private readonly bool _sse;
    private readonly JsonModelRewriter? _rewriter;
    private readonly int _maxBuffer;
    private readonly PooledBuffer _carry = new();
    private readonly PooledBuffer _output = new();
    private bool _gaveUp;

    public ResponseBodyProcessor(bool sse, JsonModelRewriter? rewriter, int maxBuffer)
    {
        _sse = sse;
        _rewriter = rewriter;
        _maxBuffer = maxBuffer;
    }

    public int PromptTokens { get; private set; }

    public int CompletionTokens { get; private set; }

    /// <summary>Prompt tokens the server served from its prefix cache; null = not reported.</summary>
    public int? CachedTokens { get; private set; }

    public bool HasUsage { get; private set; }

    public long BytesIn { get; private set; }

    /// <summary>Takes one chunk; <paramref name="output"/> is what to send now (valid until the next call).</summary>
    /// <returns>True when <paramref name="output"/> is <paramref name="chunk"/> itself, unchanged.</returns>
    public bool Process(ReadOnlyMemory<byte> chunk, bool endOfStream, out ReadOnlyMemory<byte> output)
    {
        BytesIn += chunk.Length;
        _output.Clear();
        var passThrough = _rewriter is null || _gaveUp;
        if (_sse)
            ProcessSse(chunk.Span, endOfStream, passThrough);
        else
            ProcessJson(chunk.Span, endOfStream, passThrough);
        output = passThrough ? chunk : _output.Memory;
        return passThrough;
    }

    private void ProcessSse(ReadOnlySpan<byte> data, bool endOfStream, bool passThrough)
    {
        while (!data.IsEmpty)
        {
            var nl = data.IndexOf((byte)'\n');
            if (nl < 0)
            {
                _carry.Append(data);
                break;
            }
            if (_carry.Length > 0)
            {
                _carry.Append(data[..(nl + 1)]);
                Line(_carry.Span, passThrough);
                _carry.Clear();
            }
            else
            {
                Line(data[..(nl + 1)], passThrough);
            }
            data = data[(nl + 1)..];
        }
        if (endOfStream && _carry.Length > 0)
        {
            Line(_carry.Span, passThrough);
            _carry.Clear();
        }
        else if (_carry.Length > _maxBuffer)
        {
            // A "line" this long is not SSE we understand: send it on unchanged rather than hold it.
            if (!passThrough)
                _output.Append(_carry.Span);
            _carry.Clear();
        }
    }

    private void Line(ReadOnlySpan<byte> line, bool passThrough)
    {
        if (line.StartsWith("data:"u8))
        {
            var json = line[5..].Trim((byte)' ').TrimEnd("\r\n"u8);
            if (UsageReader.TryRead(json, out var usage))
                SetUsage(usage);
        }
        if (!passThrough)
            _rewriter!.Rewrite(line, _output);
    }

    private void ProcessJson(ReadOnlySpan<byte> data, bool endOfStream, bool passThrough)
    {
        if (_carry.Length + data.Length > _maxBuffer)
        {
            // Too big to hold: release what is held unchanged and pass the rest through; usage is not read.
            if (!passThrough)
            {
                _output.Append(_carry.Span);
                _output.Append(data);
                _gaveUp = true;
            }
            _carry.Clear();
            _carry.Dispose();
            return;
        }
        _carry.Append(data);
        if (!endOfStream)
            return;
        if (UsageReader.TryRead(_carry.Span, out var usage))
            SetUsage(usage);
        if (!passThrough)
            _rewriter!.Rewrite(_carry.Span, _output);
        _carry.Clear();
    }

    private void SetUsage(TokenUsage usage)
    {
        PromptTokens = usage.PromptTokens;
        CompletionTokens = usage.CompletionTokens;
        CachedTokens = usage.CachedTokens ?? CachedTokens;
        HasUsage = true;
    }

    public void Dispose()
    {
        _carry.Dispose();
        _output.Dispose();
    }
}
