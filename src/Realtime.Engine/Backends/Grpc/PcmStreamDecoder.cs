using System.Buffers.Binary;

namespace Realtime.Engine.Backends.Grpc;

/// <summary>
/// Turns a byte stream of s16le PCM, optionally preceded by a RIFF/WAVE header, into samples. Chunks may
/// split anywhere (inside the header or a sample); a partial frame is carried to the next chunk. Only the
/// first channel is kept. Used for TTSStream audio, unary TTS files and HTTP speech bodies.
/// </summary>
internal sealed class PcmStreamDecoder
{
    private const int MaxHeaderBytes = 64 * 1024;
    private const uint UnknownSize = 0xFFFFFFFF;

    private readonly bool _detectHeader;
    private byte[] _header = new byte[64];
    private int _headerLength;
    private bool _headerDone;
    private int _channels = 1;
    private readonly byte[] _carry = new byte[16];
    private int _carryLength;
    private long _dataRemaining = -1;
    private short[] _samples = new short[4096];

    /// <summary>
    /// Lowest and highest rate accepted from a backend (telephony to studio). Anything else is a broken header or
    /// field, and resampling from it would need filters and output without bound (1 Hz would be 24,000 samples out per sample in).
    /// </summary>
    public const int MinSampleRate = 8_000;

    public const int MaxSampleRate = 192_000;

    public PcmStreamDecoder(int defaultSampleRate, bool detectHeader)
    {
        SampleRate = defaultSampleRate;
        _detectHeader = detectHeader;
        _headerDone = !detectHeader;
    }

    /// <summary>Rate of the decoded audio; set from the WAV header or by the caller (TTSStream JSON form).</summary>
    public int SampleRate { get; set; }

    /// <summary>True once a WAV header has been read.</summary>
    public bool SawHeader { get; private set; }

    /// <summary>True once any PCM byte has been accepted.</summary>
    public bool HasAudio { get; private set; }

    /// <summary>Decodes the next bytes. The returned samples are valid until the next call.</summary>
    public ReadOnlyMemory<short> Decode(ReadOnlySpan<byte> bytes)
    {
        if (!_headerDone)
        {
            bytes = ConsumeHeader(bytes);
            if (!_headerDone)
            {
                return ReadOnlyMemory<short>.Empty;
            }
        }

        if (_dataRemaining >= 0)
        {
            if (bytes.Length > _dataRemaining)
            {
                bytes = bytes[..(int)_dataRemaining];
            }

            _dataRemaining -= bytes.Length;
        }

        if (bytes.IsEmpty)
        {
            return ReadOnlyMemory<short>.Empty;
        }

        HasAudio = true;
        var frameBytes = 2 * _channels;
        var total = _carryLength + bytes.Length;
        var frames = total / frameBytes;
        if (_samples.Length < frames)
        {
            _samples = new short[Math.Max(frames, _samples.Length * 2)];
        }

        var written = 0;
        var offset = 0;
        if (_carryLength > 0)
        {
            var need = frameBytes - _carryLength;
            if (bytes.Length < need)
            {
                bytes.CopyTo(_carry.AsSpan(_carryLength));
                _carryLength += bytes.Length;
                return ReadOnlyMemory<short>.Empty;
            }

            bytes[..need].CopyTo(_carry.AsSpan(_carryLength));
            _samples[written++] = BinaryPrimitives.ReadInt16LittleEndian(_carry);
            offset = need;
            _carryLength = 0;
        }

        while (offset + frameBytes <= bytes.Length)
        {
            _samples[written++] = BinaryPrimitives.ReadInt16LittleEndian(bytes[offset..]);
            offset += frameBytes;
        }

        var rest = bytes[offset..];
        rest.CopyTo(_carry);
        _carryLength = rest.Length;
        return _samples.AsMemory(0, written);
    }

    private ReadOnlySpan<byte> ConsumeHeader(ReadOnlySpan<byte> bytes)
    {
        if (_headerLength == 0 && bytes.Length > 0)
        {
            // The header is recognized from its first 4 bytes; anything else is raw PCM (LocalAI sometimes sends neither form).
            var probe = Math.Min(4, bytes.Length);
            if (!bytes[..probe].SequenceEqual("RIFF"u8[..probe]))
            {
                _headerDone = true;
                return bytes;
            }
        }

        if (_headerLength + bytes.Length > _header.Length && _header.Length < MaxHeaderBytes)
        {
            Array.Resize(ref _header, Math.Min(MaxHeaderBytes, Math.Max(_header.Length * 2, _headerLength + bytes.Length)));
        }

        var take = Math.Min(bytes.Length, _header.Length - _headerLength);
        bytes[..take].CopyTo(_header.AsSpan(_headerLength));
        _headerLength += take;
        var remaining = bytes[take..];

        var dataStart = TryParseHeader(_header.AsSpan(0, _headerLength));
        if (dataStart < 0)
        {
            if (_headerLength >= MaxHeaderBytes)
            {
                throw new InvalidDataException("WAV header has no data chunk in its first 64 KiB.");
            }

            return remaining.IsEmpty ? ReadOnlySpan<byte>.Empty : ConsumeHeader(remaining);
        }

        _headerDone = true;
        SawHeader = true;
        var leftover = _header.AsSpan(dataStart, _headerLength - dataStart).ToArray();
        if (leftover.Length == 0)
        {
            return remaining;
        }

        // Rare: the first chunk carried header and PCM together; stitch them.
        var combined = new byte[leftover.Length + remaining.Length];
        leftover.CopyTo(combined, 0);
        remaining.CopyTo(combined.AsSpan(leftover.Length));
        return combined;
    }

    public static bool IsPlausibleSampleRate(int rate) => rate is >= MinSampleRate and <= MaxSampleRate;

    /// <summary>Returns the offset of the PCM data, or -1 when more header bytes are needed.</summary>
    private int TryParseHeader(ReadOnlySpan<byte> header)
    {
        if (header.Length < 12)
        {
            return -1;
        }

        if (!header[8..12].SequenceEqual("WAVE"u8))
        {
            throw new InvalidDataException("RIFF stream is not WAVE.");
        }

        var position = 12;
        var sawFormat = false;
        while (position + 8 <= header.Length)
        {
            var id = header.Slice(position, 4);
            var size = BinaryPrimitives.ReadUInt32LittleEndian(header[(position + 4)..]);
            var body = position + 8;
            if (id.SequenceEqual("data"u8))
            {
                if (!sawFormat)
                {
                    throw new InvalidDataException("WAV data chunk before fmt chunk.");
                }

                _dataRemaining = size is UnknownSize or 0 ? -1 : size;
                return body;
            }

            if (size > MaxHeaderBytes)
            {
                throw new InvalidDataException("WAV header chunk too large.");
            }

            if (body + size > header.Length)
            {
                return -1;
            }

            if (id.SequenceEqual("fmt "u8))
            {
                if (size < 16)
                {
                    throw new InvalidDataException("WAV fmt chunk too short.");
                }

                var format = BinaryPrimitives.ReadUInt16LittleEndian(header[body..]);
                var channels = BinaryPrimitives.ReadUInt16LittleEndian(header[(body + 2)..]);
                var rate = BinaryPrimitives.ReadInt32LittleEndian(header[(body + 4)..]);
                var bits = BinaryPrimitives.ReadUInt16LittleEndian(header[(body + 14)..]);
                if (format is not (1 or 0xFFFE) || bits != 16 || channels is 0 or > 8 || !IsPlausibleSampleRate(rate))
                {
                    throw new InvalidDataException($"Unsupported WAV format {format}, {channels} channels, {bits} bits, {rate} Hz: need 16-bit PCM at {MinSampleRate}-{MaxSampleRate} Hz.");
                }

                _channels = channels;
                SampleRate = rate;
                sawFormat = true;
            }

            position = body + (int)size + (int)(size & 1);
        }

        return -1;
    }
}
