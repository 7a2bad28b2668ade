using System.Text;
using Realtime.Host.Telephony;

namespace Realtime.Host.Tests.Telephony;

/// <summary>Reading Twilio's inbound messages: event kinds, media payloads (allocation-free), echoed mark names.</summary>
public sealed class TwilioInboundTests
{
    private static readonly byte[] Frame = [.. Enumerable.Range(0, 160).Select(i => (byte)(i * 7))];

    private static byte[] Media(string track) => Encoding.UTF8.GetBytes(
        $$"""{"event":"media","sequenceNumber":"3","media":{"track":"{{track}}","chunk":"1","timestamp":"5","payload":"{{Convert.ToBase64String(Frame)}}"},"streamSid":"MZ1"}""");

    [Theory]
    [InlineData("""{"event":"connected","protocol":"Call","version":"1.0.0"}""", "Connected")]
    [InlineData("""{"sequenceNumber":"1","event":"start","start":{"streamSid":"MZ1"}}""", "Start")]
    [InlineData("""{"event":"mark","mark":{"name":"x"}}""", "Mark")]
    [InlineData("""{"streamSid":"MZ1","event":"dtmf","dtmf":{"digit":"1"}}""", "Dtmf")]
    [InlineData("""{"event":"stop","stop":{}}""", "Stop")]
    [InlineData("""{"event":"something-new"}""", "Unknown")]
    [InlineData("""{"media":{}}""", "Unknown")]
    [InlineData("""[1,2]""", "Unknown")]
    public void ReadsTheEventWhereverItStands(string json, string expected) =>
        Assert.Equal(expected, TwilioInbound.ReadEvent(Encoding.UTF8.GetBytes(json)).ToString());

    [Fact]
    public void DecodesTheInboundPayloadWithoutAllocating()
    {
        byte[] json = Media("inbound");
        byte[] audio = new byte[1024];
        Assert.Equal(160, TwilioInbound.ReadMediaPayload(json, audio));
        Assert.Equal(Frame, audio[..160]);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            TwilioInbound.ReadEvent(json);
            TwilioInbound.ReadMediaPayload(json, audio);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void IgnoresOtherTracksAndBadPayloads()
    {
        byte[] audio = new byte[1024];
        Assert.Equal(-1, TwilioInbound.ReadMediaPayload(Media("outbound"), audio));
        Assert.Equal(-1, TwilioInbound.ReadMediaPayload("""{"event":"media","media":{"payload":"not base64!"}}"""u8, audio));
        Assert.Equal(-1, TwilioInbound.ReadMediaPayload("""{"event":"media"}"""u8, audio));
        // An escaped slash is still base64.
        Assert.Equal(3, TwilioInbound.ReadMediaPayload("""{"event":"media","media":{"payload":"\/\/\/\/"}}"""u8, audio));
    }

    [Fact]
    public void ReadsTheEchoedMarkName()
    {
        byte[] name = new byte[128];
        int length = TwilioInbound.ReadMarkName("""{"event":"mark","sequenceNumber":"9","streamSid":"MZ1","mark":{"name":"item_abc:1200:end"}}"""u8, name);
        Assert.Equal("item_abc:1200:end", Encoding.UTF8.GetString(name, 0, length));
        Assert.Equal(-1, TwilioInbound.ReadMarkName("""{"event":"mark"}"""u8, name));
    }
}
