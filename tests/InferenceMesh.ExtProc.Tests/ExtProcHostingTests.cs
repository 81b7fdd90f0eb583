using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using static InferenceMesh.ExtProc.Tests.EnvoyMessages;

namespace InferenceMesh.ExtProc.Tests;

/// <summary>The meter listener is process-wide: these run alone so other tests' streams are not counted.</summary>
[CollectionDefinition(nameof(SerialGroup), DisableParallelization = true)]
public sealed class SerialGroup;

[Collection(nameof(SerialGroup))]
public sealed class ExtProcHostingTests
{
    [Fact]
    public async Task Start_ChunkBytesOverEnvoysLimit_FailsNamingTheKey()
    {
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() =>
            ExtProcTestHost.StartAsync(new Dictionary<string, string?> { ["ExtProc:ChunkBytes"] = "70000" }));
        Assert.Contains("ExtProc:ChunkBytes", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Process_RecordsRequestsLatencyBytesAndActiveStreams()
    {
        var seen = new ConcurrentDictionary<string, double>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == ExtProcMetrics.MeterName)
                l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((i, v, tags, _) =>
        {
            var key = i.Name;
            foreach (var t in tags)
            {
                if (t.Key == "outcome")
                    key += ":" + t.Value;
            }
            seen.AddOrUpdate(key, v, (_, old) => old + v);
        });
        listener.SetMeasurementEventCallback<double>((i, v, _, _) => seen.AddOrUpdate(i.Name, 1, (_, old) => old + 1));
        listener.Start();

        await using var host = await ExtProcTestHost.StartAsync();
        await using (var call = ExtProcCall.Open(host))
        {
            await call.WriteAsync(RequestHeaders(endOfStream: false));
            await call.WriteAsync(RequestBody(CompletionBody("qwen", 1000), true));
            await call.NextAsync();
            await call.ReadStreamedRequestBodyAsync();
            await call.FinishAsync();
        }
        await Poll.UntilAsync(() => seen.GetValueOrDefault(ExtProcMetrics.Names.ActiveStreams) == 0 && seen.ContainsKey(ExtProcMetrics.Names.ActiveStreams), "stream closed");
        Assert.Equal(1, seen[ExtProcMetrics.Names.Requests + ":scheduled"]);
        Assert.Equal(1, seen[ExtProcMetrics.Names.PickDuration]);
        Assert.True(seen[ExtProcMetrics.Names.RequestBody] > 1000);
    }
}
