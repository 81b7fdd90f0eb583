using System.Diagnostics.Metrics;
using InferenceMesh.ExtProc;

namespace InferenceMesh.Benchmarks.ExtProc;

/// <summary>Collects ext-proc's own picker latency (<c>inferencemesh_extproc_pick_duration_seconds</c>: end of the request
/// body as the server read it → headers response written) while it lives, in µs. Next to the client's figure it splits
/// the decision into the server's work and the gRPC transport and wake-ups around it.</summary>
internal sealed class PickerLatencyRecorder : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly Lock _gate = new();
    private readonly List<double> _micros = new(4096);

    public PickerLatencyRecorder()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == ExtProcMetrics.MeterName && instrument.Name == ExtProcMetrics.Names.PickDuration)
                listener.EnableMeasurementEvents(instrument, this);
        };
        _listener.SetMeasurementEventCallback<double>((_, seconds, _, state) =>
        {
            var self = (PickerLatencyRecorder)state!;
            lock (self._gate)
                self._micros.Add(seconds * 1e6);
        });
        _listener.Start();
    }

    /// <summary>The recorded latencies in ascending order (empty when the server has no such instrument: pass-through).</summary>
    public double[] Sorted()
    {
        double[] copy;
        lock (_gate)
            copy = [.. _micros];
        Array.Sort(copy);
        return copy;
    }

    public void Dispose() => _listener.Dispose();
}
