using System.Buffers;
using System.Diagnostics.Metrics;
using System.Text;
using Realtime.Host.Observability;
using Realtime.Wire.Connections;

namespace Realtime.Host.Tests.Operations;

public sealed class MeteringTests
{
    [Theory]
    [InlineData("{\"type\":\"response.output_audio.delta\",\"delta\":\"AAAA\"}", "response.output_audio.delta")]
    [InlineData("{\"event_id\":\"e1\",\"audio\":{\"x\":[1,2]},\"type\":\"input_audio_buffer.append\"}", "input_audio_buffer.append")]
    [InlineData("{\"type\":\"my.secret.sk-123\"}", "other")]
    [InlineData("{\"type\":\"response\\u002ecreate\"}", "other")]
    [InlineData("{\"type\":7}", "other")]
    [InlineData("not json", "other")]
    [InlineData("{\"type\":\"response.create", "other")]
    [InlineData("{\"type\":\"response.created\"}", "response.created")]
    [InlineData("{\"type\":\"\"}", "other")]
    public void Event_type_label_is_from_the_fixed_set(string json, string expected)
    {
        Assert.Equal(expected, EventTypeNames.Of(Encoding.UTF8.GetBytes(json)));
        Assert.Equal(expected, EventTypeNames.Of(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(json))));
    }

    [Theory]
    [InlineData("{\"type\":\"error\",\"event_id\":\"e\",\"error\":{\"type\":\"invalid_request_error\",\"code\":\"invalid_value\",\"message\":\"m\"}}", "invalid_value")]
    [InlineData("{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"code\":null}}", "none")]
    [InlineData("{\"type\":\"error\",\"error\":{\"code\":\"made_up\"}}", "other")]
    public void Error_code_label_is_from_the_fixed_set(string json, string expected) =>
        Assert.Equal(expected, EventTypeNames.ErrorCodeOf(Encoding.UTF8.GetBytes(json)));

    [Fact]
    public void Metering_a_sent_event_allocates_nothing_once_warm()
    {
        long events = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == RealtimeMetrics.MeterName)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, state) =>
        {
            if (instrument.Name == "realtime.events.out")
            {
                Interlocked.Add(ref events, value);
            }
        });
        listener.SetMeasurementEventCallback<double>((_, _, _, _) => { });
        listener.Start();

        var sink = new CountingOutput();
        var output = new MeteredOutput(sink);
        byte[] delta = Encoding.UTF8.GetBytes("{\"type\":\"response.output_audio.delta\",\"event_id\":\"event_1\",\"response_id\":\"resp_1\",\"delta\":\"AAAAAAAA\"}");
        byte[] speechStopped = Encoding.UTF8.GetBytes("{\"type\":\"input_audio_buffer.speech_stopped\",\"audio_end_ms\":100}");
        for (int i = 0; i < 100; i++)
        {
            output.SendText(speechStopped);
            output.SendText(delta);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            output.SendText(speechStopped);
            output.SendText(delta);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.Equal(2200, sink.Sent);

        // The counts are read when the exporter scrapes, cumulative per type. Other tests in this process may meter
        // their own sessions meanwhile; ours are all there.
        listener.RecordObservableInstruments();
        Assert.True(Interlocked.Read(ref events) >= 2200);
    }

    private sealed class CountingOutput : IMessageOutput
    {
        public int Sent { get; private set; }

        public long PendingBytes => 0;

        public bool SendText(ReadOnlySpan<byte> utf8Payload)
        {
            Sent++;
            return true;
        }

        public void Close(ushort closeStatus, string reason)
        {
        }
    }
}
