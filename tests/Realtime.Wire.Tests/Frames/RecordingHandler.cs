using System.Buffers;
using System.Security.Cryptography;
using Realtime.Wire.Frames;

namespace Realtime.Wire.Tests.Frames;

/// <summary>Records what the reader delivers as comparable strings (long payloads by length and hash).</summary>
internal sealed class RecordingHandler : IFrameHandler
{
    public List<string> Events { get; } = [];

    public List<byte[]> Messages { get; } = [];

    public void OnMessage(FrameOpcode opcode, in ReadOnlySequence<byte> payload)
    {
        byte[] bytes = payload.ToArray();
        Messages.Add(bytes);
        Events.Add($"{opcode}:{bytes.Length}:{Convert.ToHexString(SHA256.HashData(bytes))[..16]}");
    }

    public void OnPing(ReadOnlySpan<byte> payload) => Events.Add("ping:" + Convert.ToHexString(payload));

    public void OnPong(ReadOnlySpan<byte> payload) => Events.Add("pong:" + Convert.ToHexString(payload));
}
