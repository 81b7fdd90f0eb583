using System.Buffers;

namespace InferenceMesh.ExtProc;

/// <summary>A growable byte buffer rented from the shared pool; one per stream phase, returned on dispose.</summary>
internal sealed class PooledBuffer : IBufferWriter<byte>, IDisposable
{
    private byte[] _array = [];
    private int _length;

    public int Length => _length;

    public ReadOnlySpan<byte> Span => _array.AsSpan(0, _length);

    public ReadOnlyMemory<byte> Memory => _array.AsMemory(0, _length);

    public void Append(ReadOnlySpan<byte> data)
    {
        data.CopyTo(GetSpan(data.Length));
        _length += data.Length;
    }

    public void Clear() => _length = 0;

    /// <summary>Makes room for <paramref name="capacity"/> bytes in all, so appends up to it do not regrow (and recopy).</summary>
    public void Reserve(int capacity)
    {
        if (capacity > _length)
            Ensure(capacity - _length);
    }

    /// <summary>Drops the first <paramref name="count"/> bytes, keeping the rest at the front.</summary>
    public void Consume(int count)
    {
        _array.AsSpan(count, _length - count).CopyTo(_array);
        _length -= count;
    }

    public void Advance(int count) => _length += count;

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(Math.Max(sizeHint, 1));
        return _array.AsMemory(_length);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(Math.Max(sizeHint, 1));
        return _array.AsSpan(_length);
    }

    private void Ensure(int extra)
    {
        if (_array.Length - _length >= extra)
            return;
        var next = ArrayPool<byte>.Shared.Rent(Math.Max(_length + extra, Math.Max(4096, _array.Length * 2)));
        _array.AsSpan(0, _length).CopyTo(next);
        if (_array.Length > 0)
            ArrayPool<byte>.Shared.Return(_array);
        _array = next;
    }

    public void Dispose()
    {
        if (_array.Length > 0)
            ArrayPool<byte>.Shared.Return(_array);
        _array = [];
        _length = 0;
    }
}
