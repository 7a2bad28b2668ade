using System.Text.Json;
using Realtime.Wire.Events;

namespace Realtime.Wire.Tests.Events;

/// <summary>An idle session returns its event buffer (ReleaseBuffer); the next events are whole and still allocate nothing.</summary>
public sealed class ServerEventWriterReleaseTests
{
    [Fact]
    public void Events_after_a_release_are_complete()
    {
        using var writer = new ServerEventWriter(Dialect.Ga);
        byte[] audio = new byte[4800];
        Random.Shared.NextBytes(audio);
        writer.WriteTextDelta(ServerEventType.ResponseOutputTextDelta, "resp_1", "item_1", 0, 0, "before");
        writer.ReleaseBuffer();
        writer.ReleaseBuffer();

        using (JsonDocument doc = JsonDocument.Parse(writer.WriteAudioDelta("resp_2", "item_2", 1, 0, audio).ToArray()))
        {
            Assert.Equal("response.output_audio.delta", doc.RootElement.GetProperty("type").GetString());
            Assert.Equal("resp_2", doc.RootElement.GetProperty("response_id").GetString());
            Assert.Equal(1, doc.RootElement.GetProperty("output_index").GetInt32());
            Assert.Equal(audio, doc.RootElement.GetProperty("delta").GetBytesFromBase64());
        }

        writer.ReleaseBuffer();
        using JsonDocument text = JsonDocument.Parse(writer.WriteTextDelta(ServerEventType.ResponseOutputTextDelta, "resp_3", "item_3", 0, 0, "after \"x\"").ToArray());
        Assert.Equal("after \"x\"", text.RootElement.GetProperty("delta").GetString());
        Assert.Equal("item_3", text.RootElement.GetProperty("item_id").GetString());
    }

    [Fact]
    public void Release_and_the_next_event_allocate_nothing_once_warm()
    {
        using var writer = new ServerEventWriter(Dialect.Ga);
        byte[] audio = new byte[960];
        string responseId = RealtimeIds.NewResponse(), itemId = RealtimeIds.NewItem();
        for (int i = 0; i < 3; i++)
        {
            writer.WriteAudioDelta(responseId, itemId, 0, 0, audio);
            writer.ReleaseBuffer();
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            writer.WriteAudioDelta(responseId, itemId, 0, 0, audio);
            writer.WriteTextDelta(ServerEventType.ResponseOutputAudioTranscriptDelta, responseId, itemId, 0, 0, "word");
            writer.ReleaseBuffer();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
