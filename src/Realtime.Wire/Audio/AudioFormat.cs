namespace Realtime.Wire.Audio;

/// <summary>Audio formats of the Realtime protocol (GA `audio/pcm`, `audio/pcmu`, `audio/pcma`; beta `pcm16`, `g711_ulaw`, `g711_alaw`).</summary>
public enum AudioFormat
{
    /// <summary>Signed 16-bit little-endian mono at 24 kHz.</summary>
    Pcm16,

    /// <summary>G.711 µ-law, 8 kHz, one byte per sample.</summary>
    G711Ulaw,

    /// <summary>G.711 A-law, 8 kHz, one byte per sample.</summary>
    G711Alaw,
}

public static class AudioFormatInfo
{
    public static int SampleRate(this AudioFormat format) => format == AudioFormat.Pcm16 ? 24_000 : 8_000;

    public static int BytesPerSample(this AudioFormat format) => format == AudioFormat.Pcm16 ? 2 : 1;

    /// <summary>48 for PCM16 at 24 kHz, 8 for G.711.</summary>
    public static int BytesPerMillisecond(this AudioFormat format) => format.SampleRate() / 1000 * format.BytesPerSample();
}
