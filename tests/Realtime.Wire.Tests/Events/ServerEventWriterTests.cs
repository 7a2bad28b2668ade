using System.Text.Json;
using System.Text.RegularExpressions;
using Realtime.Wire.Events;

namespace Realtime.Wire.Tests.Events;

public sealed class ServerEventWriterTests
{
    [Fact]
    public void AudioDeltaIsValidJsonWithBase64()
    {
        using var writer = new ServerEventWriter(Dialect.Ga);
        byte[] audio = [1, 2, 3, 4, 250];
        using JsonDocument doc = JsonDocument.Parse(writer.WriteAudioDelta("resp_1", "item_1", 0, 0, audio).ToArray());
        JsonElement root = doc.RootElement;
        Assert.Equal("response.output_audio.delta", root.GetProperty("type").GetString());
        Assert.Matches("^event_[A-Za-z0-9]{21}$", root.GetProperty("event_id").GetString());
        Assert.Equal("resp_1", root.GetProperty("response_id").GetString());
        Assert.Equal(0, root.GetProperty("content_index").GetInt32());
        Assert.Equal(audio, root.GetProperty("delta").GetBytesFromBase64());
    }

    [Fact]
    public void BetaSpellsDeltaNames()
    {
        using var writer = new ServerEventWriter(Dialect.Beta);
        using JsonDocument doc = JsonDocument.Parse(writer.WriteTextDelta(ServerEventType.ResponseOutputTextDelta, "r", "i", 0, 0, "hé \"x\"").ToArray());
        Assert.Equal("response.text.delta", doc.RootElement.GetProperty("type").GetString());
        Assert.Equal("hé \"x\"", doc.RootElement.GetProperty("delta").GetString());
        Assert.Equal("response.audio.delta", ServerEventNames.Name(ServerEventType.ResponseOutputAudioDelta, Dialect.Beta));
        Assert.Equal("response.audio_transcript.done", ServerEventNames.Name(ServerEventType.ResponseOutputAudioTranscriptDone, Dialect.Beta));
    }

    [Fact]
    public void WarmDeltaWritesAllocateNothing()
    {
        using var writer = new ServerEventWriter(Dialect.Ga);
        byte[] audio = new byte[960];
        string responseId = RealtimeIds.NewResponse(), itemId = RealtimeIds.NewItem();
        for (int i = 0; i < 3; i++)
        {
            writer.WriteAudioDelta(responseId, itemId, 0, 0, audio);
            writer.WriteTextDelta(ServerEventType.ResponseOutputTextDelta, responseId, itemId, 0, 0, "Hello");
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            writer.WriteAudioDelta(responseId, itemId, 0, 0, audio);
            writer.WriteTextDelta(ServerEventType.ResponseOutputTextDelta, responseId, itemId, 0, 0, "Hello");
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void IdsHaveTheHostedShapeAndAreUnique()
    {
        var seen = new HashSet<string>();
        for (int i = 0; i < 10_000; i++)
        {
            Assert.True(seen.Add(RealtimeIds.NewItem()));
        }

        Assert.Matches(new Regex("^resp_[A-Za-z0-9]{21}$"), RealtimeIds.NewResponse());
        Assert.Matches(new Regex("^sess_[A-Za-z0-9]{21}$"), RealtimeIds.NewSession());
        Assert.Matches(new Regex("^conv_[A-Za-z0-9]{21}$"), RealtimeIds.NewConversation());
        Assert.Matches(new Regex("^call_[A-Za-z0-9]{16}$"), RealtimeIds.NewCall());
    }

    [Fact]
    public void Id_characters_are_equally_likely()
    {
        // 20,000 ids x 21 characters: each of the 62 is expected ~6,774 times (sigma ~81); 10 % is over 8 sigma.
        var counts = new Dictionary<char, int>();
        for (int i = 0; i < 20_000; i++)
        {
            foreach (char c in RealtimeIds.NewItem().AsSpan(5))
            {
                counts[c] = counts.GetValueOrDefault(c) + 1;
            }
        }

        Assert.Equal(62, counts.Count);
        double expected = 20_000 * 21 / 62.0;
        Assert.All(counts, pair => Assert.InRange(pair.Value, expected * 0.9, expected * 1.1));
    }
}
