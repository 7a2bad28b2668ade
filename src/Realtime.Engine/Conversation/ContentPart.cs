namespace Realtime.Engine.Conversation;

public enum ContentKind { InputText, InputAudio, InputImage, OutputText, OutputAudio }

/// <summary>One content part of a message item. Audio is kept as raw bytes in the format it was produced in.</summary>
public sealed class ContentPart
{
    public ContentKind Kind { get; init; }

    public string? Text { get; set; }

    /// <summary>Transcript of an audio part; null until transcribed (the key is still written).</summary>
    public string? Transcript { get; set; }

    /// <summary>
    /// What speech-to-text heard in an input audio part, kept for the model even when the client did not ask for
    /// input transcription (then <see cref="Transcript"/> stays null, as on the hosted API).
    /// </summary>
    public string? HeardText { get; set; }

    public byte[]? Audio { get; set; }

    public int AudioLength { get; set; }

    /// <summary>Bytes per millisecond of <see cref="Audio"/> (48 for PCM16 24 kHz, 8 for G.711).</summary>
    public int AudioBytesPerMs { get; set; } = 48;

    public string? ImageUrl { get; init; }

    public string? Detail { get; init; }

    public void AppendAudio(ReadOnlySpan<byte> audio)
    {
        byte[] buffer = Audio ?? new byte[Math.Max(4096, audio.Length)];
        if (AudioLength + audio.Length > buffer.Length)
        {
            Array.Resize(ref buffer, Math.Max(buffer.Length * 2, AudioLength + audio.Length));
        }

        audio.CopyTo(buffer.AsSpan(AudioLength));
        Audio = buffer;
        AudioLength += audio.Length;
    }
}
