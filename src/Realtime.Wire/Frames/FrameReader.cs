using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Unicode;
using Realtime.Wire.Buffers;

namespace Realtime.Wire.Frames;

/// <summary>
/// Strict RFC 6455 frame reader over a <see cref="ReadOnlySequence{T}"/> (the transport pipe's buffer).
/// An unfragmented frame that is entirely buffered is unmasked in place and handed over without a copy;
/// fragmented or partially received messages are assembled in one pooled buffer that is returned as soon
/// as the message is delivered, so an idle connection holds nothing. Every length is checked against
/// the message limit when its header is parsed, before a byte of it is buffered.
/// </summary>
public sealed class FrameReader : IDisposable
{
    private const int MaxFrameHeaderLength = 14;
    private const int MaxControlPayload = 125;

    // Larger single-frame messages start at this size and grow geometrically, so a client that announces a huge frame
    // and trickles it does not make the server rent the maximum up front.
    private const int MaxPresizedMessageBytes = 1024 * 1024;

    private readonly long _maxMessageBytes;
    private readonly bool _expectMasked;

    // The data message being assembled (fragmented, or received in pieces).
    private bool _inMessage;
    private FrameOpcode _messageOpcode;
    private byte[]? _message;
    private int _messageLength;
    private Utf8StreamValidator _utf8;

    // A whole unfragmented data frame arriving in pieces, held in the pipe instead of copied: nothing of it is consumed
    // until it is complete; each read unmasks and validates only the bytes that arrived since the last one (while
    // they are still in cache from the socket copy), then the pipe's own segments are handed over. One pass, no
    // reassembly copy. Frames larger than _maxHeldFrameBytes (the input pipe's pause threshold) are copied instead.
    private readonly long _maxHeldFrameBytes;
    private bool _holding;
    private FrameOpcode _heldOpcode;
    private int _heldHeaderLength;
    private long _heldLength;
    private long _heldDone;
    private SequencePosition _heldEnd;
    private uint _heldMask;
    private int _heldMaskOffset;

    // The data frame whose payload is being copied.
    private bool _inPayload;
    private long _payloadRemaining;
    private uint _payloadMask;
    private int _payloadMaskOffset;
    private bool _payloadFin;

    /// <summary>Creates a reader for one connection.</summary>
    /// <param name="maxMessageBytes">Largest data message (all fragments together); larger closes with 1009.</param>
    /// <param name="expectMasked">True on the server: client frames must be masked (§5.1).</param>
    /// <param name="maxHeldFrameBytes">
    /// Largest frame (header + payload) kept unconsumed in the input until it is complete; must not exceed the input
    /// pipe's pause threshold, or the pipe would stop filling before the frame is whole. Larger frames are copied.
    /// </param>
    public FrameReader(long maxMessageBytes, bool expectMasked = true, long maxHeldFrameBytes = long.MaxValue)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxMessageBytes);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxMessageBytes, Array.MaxLength);
        ArgumentOutOfRangeException.ThrowIfNegative(maxHeldFrameBytes);
        _maxMessageBytes = maxMessageBytes;
        _expectMasked = expectMasked;
        _maxHeldFrameBytes = maxHeldFrameBytes;
    }

    /// <summary>Status code of the received close frame (1005 when it carried none).</summary>
    public ushort ReceivedCloseStatus { get; private set; }

    /// <summary>Reason of the received close frame (null when none).</summary>
    public string? ReceivedCloseReason { get; private set; }

    /// <summary>The close code the violation calls for (1002, 1007 or 1009).</summary>
    public ushort ViolationStatus { get; private set; }

    /// <summary>A short, constant description of the violation, fit for a close reason.</summary>
    public string? ViolationReason { get; private set; }

    /// <summary>Whether part of a message is buffered (the reader is not idle).</summary>
    public bool HasPartialMessage => _inMessage || _holding;

    /// <summary>
    /// Handles every complete frame in <paramref name="buffer"/>. The caller passes <paramref name="consumed"/>
    /// and <paramref name="examined"/> to exactly one <c>PipeReader.AdvanceTo</c>.
    /// </summary>
    public FrameReadStatus Read<THandler>(ReadOnlySequence<byte> buffer, ref THandler handler, out SequencePosition consumed, out SequencePosition examined)
        where THandler : IFrameHandler
    {
        ReadOnlySequence<byte> rest = buffer;
        FrameReadStatus status = ReadFrames(ref rest, ref handler);
        consumed = rest.Start;
        examined = status == FrameReadStatus.NeedMoreData ? buffer.End : rest.Start;
        return status;
    }

    /// <summary>Returns the pooled message buffer, if any.</summary>
    public void Dispose() => ReleaseMessage();

    private FrameReadStatus ReadFrames<THandler>(ref ReadOnlySequence<byte> rest, ref THandler handler)
        where THandler : IFrameHandler
    {
        Span<byte> headerScratch = stackalloc byte[MaxFrameHeaderLength];
        Span<byte> controlScratch = stackalloc byte[MaxControlPayload];
        while (true)
        {
            if (_holding)
            {
                if (!ContinueHeldFrame(ref rest, ref handler, out bool complete))
                {
                    return Violate(CloseStatus.InvalidPayload, "invalid UTF-8");
                }

                if (!complete)
                {
                    return FrameReadStatus.NeedMoreData;
                }

                continue;
            }

            if (_inPayload)
            {
                if (!CopyPayload(ref rest, ref handler, out bool needMore))
                {
                    return FrameReadStatus.Violation;
                }

                if (needMore)
                {
                    return FrameReadStatus.NeedMoreData;
                }

                continue;
            }

            if (!TryReadHeader(rest, headerScratch, out byte first, out byte second, out long length, out uint mask, out int headerLength))
            {
                if (headerLength < 0)
                {
                    return Violate(CloseStatus.ProtocolError, "invalid payload length");
                }

                return FrameReadStatus.NeedMoreData;
            }

            bool fin = (first & 0x80) != 0;
            var opcode = (FrameOpcode)(first & 0x0F);
            if ((first & 0x70) != 0)
            {
                return Violate(CloseStatus.ProtocolError, "reserved bits set");
            }

            if (((second & 0x80) != 0) != _expectMasked)
            {
                return Violate(CloseStatus.ProtocolError, _expectMasked ? "unmasked client frame" : "masked server frame");
            }

            switch (opcode)
            {
                case FrameOpcode.Close or FrameOpcode.Ping or FrameOpcode.Pong:
                    if (!fin)
                    {
                        return Violate(CloseStatus.ProtocolError, "fragmented control frame");
                    }

                    if (length > MaxControlPayload)
                    {
                        return Violate(CloseStatus.ProtocolError, "control frame too long");
                    }

                    if (rest.Length < headerLength + length)
                    {
                        return FrameReadStatus.NeedMoreData;
                    }

                    Span<byte> control = controlScratch[..(int)length];
                    rest.Slice(headerLength, length).CopyTo(control);
                    FrameMask.Apply(control, mask, 0);
                    rest = rest.Slice(headerLength + length);
                    if (opcode == FrameOpcode.Ping)
                    {
                        handler.OnPing(control);
                    }
                    else if (opcode == FrameOpcode.Pong)
                    {
                        handler.OnPong(control);
                    }
                    else
                    {
                        return ReadClose(control);
                    }

                    continue;

                case FrameOpcode.Continuation:
                    if (!_inMessage)
                    {
                        return Violate(CloseStatus.ProtocolError, "continuation without a message");
                    }

                    break;

                case FrameOpcode.Text or FrameOpcode.Binary:
                    if (_inMessage)
                    {
                        return Violate(CloseStatus.ProtocolError, "new message inside a fragmented one");
                    }

                    break;

                default:
                    return Violate(CloseStatus.ProtocolError, "unknown opcode");
            }

            long total = (_inMessage ? _messageLength : 0) + length;
            if (total > _maxMessageBytes)
            {
                return Violate(CloseStatus.MessageTooBig, "message too big");
            }

            if (!_inMessage && fin && rest.Length - headerLength >= length)
            {
                // Fast path: the whole message is buffered; unmask in place and hand over the pipe's own bytes.
                ReadOnlySequence<byte> payload = rest.Slice(headerLength, length);
                if (opcode == FrameOpcode.Text)
                {
                    if (!UnmaskAndValidateUtf8(payload, mask))
                    {
                        return Violate(CloseStatus.InvalidPayload, "invalid UTF-8");
                    }
                }
                else
                {
                    FrameMask.Apply(payload, mask);
                }

                rest = rest.Slice(payload.End);
                handler.OnMessage(opcode, payload);
                continue;
            }

            if (!_inMessage && fin && headerLength + length <= _maxHeldFrameBytes)
            {
                // The frame is arriving in pieces: keep it in the pipe and work on each piece as it lands.
                _holding = true;
                _heldOpcode = opcode;
                _heldHeaderLength = headerLength;
                _heldLength = length;
                _heldDone = 0;
                _heldEnd = rest.GetPosition(headerLength);
                _heldMask = mask;
                _heldMaskOffset = 0;
                _utf8.Reset();
                continue;
            }

            if (!_inMessage)
            {
                _inMessage = true;
                _messageOpcode = opcode;
                _messageLength = 0;
                _utf8.Reset();
                if (fin)
                {
                    // One frame too large to hold is the whole message and its length is known: rent it once (up to
                    // 1 MiB) instead of regrowing and recopying as it arrives.
                    EnsureCapacity((int)Math.Min(length, MaxPresizedMessageBytes));
                }
            }

            _inPayload = true;
            _payloadRemaining = length;
            _payloadMask = mask;
            _payloadMaskOffset = 0;
            _payloadFin = fin;
            rest = rest.Slice(headerLength);
        }
    }

    // The held frame (rest starts at its header, as nothing of it was consumed): unmasks and validates the bytes that
    // arrived since the last read, from where that read stopped; hands the frame over once the payload is complete.
    private bool ContinueHeldFrame<THandler>(ref ReadOnlySequence<byte> rest, ref THandler handler, out bool complete)
        where THandler : IFrameHandler
    {
        long arrived = Math.Min(rest.Length - _heldHeaderLength, _heldLength);
        if (arrived > _heldDone)
        {
            ReadOnlySequence<byte> fresh = rest.Slice(_heldEnd, arrived - _heldDone);
            bool final = arrived == _heldLength;
            if (_heldOpcode == FrameOpcode.Text)
            {
                if (!UnmaskAndValidateUtf8(fresh, _heldMask, ref _heldMaskOffset, ref _utf8, final))
                {
                    complete = false;
                    return false;
                }
            }
            else
            {
                foreach (ReadOnlyMemory<byte> segment in fresh)
                {
                    _heldMaskOffset = FrameMask.Apply(MemoryMarshal.AsMemory(segment).Span, _heldMask, _heldMaskOffset);
                }
            }

            _heldDone = arrived;
            _heldEnd = fresh.End;
        }

        complete = _heldDone == _heldLength;
        if (complete)
        {
            _holding = false;
            ReadOnlySequence<byte> payload = rest.Slice(_heldHeaderLength, _heldLength);
            rest = rest.Slice(payload.End);
            handler.OnMessage(_heldOpcode, payload);
        }

        return true;
    }

    // Copies what is buffered of the current data frame into the message buffer.
    private bool CopyPayload<THandler>(ref ReadOnlySequence<byte> rest, ref THandler handler, out bool needMore)
        where THandler : IFrameHandler
    {
        needMore = false;
        if (_payloadRemaining > 0)
        {
            if (rest.IsEmpty)
            {
                needMore = true;
                return true;
            }

            int take = (int)Math.Min(rest.Length, _payloadRemaining);
            EnsureCapacity(_messageLength + take);
            Span<byte> destination = _message.AsSpan(_messageLength, take);
            rest.Slice(0, take).CopyTo(destination);
            rest = rest.Slice(take);
            _payloadMaskOffset = FrameMask.Apply(destination, _payloadMask, _payloadMaskOffset);
            _payloadRemaining -= take;
            _messageLength += take;
            if (_messageOpcode == FrameOpcode.Text && !_utf8.Append(destination, _payloadFin && _payloadRemaining == 0))
            {
                Violate(CloseStatus.InvalidPayload, "invalid UTF-8");
                return false;
            }
        }
        else if (_payloadFin && _messageOpcode == FrameOpcode.Text && !_utf8.Append([], isFinal: true))
        {
            Violate(CloseStatus.InvalidPayload, "invalid UTF-8");
            return false;
        }

        if (_payloadRemaining == 0)
        {
            _inPayload = false;
            if (_payloadFin)
            {
                _inMessage = false;
                var message = _message is null
                    ? ReadOnlySequence<byte>.Empty
                    : new ReadOnlySequence<byte>(_message, 0, _messageLength);
                handler.OnMessage(_messageOpcode, message);
                ReleaseMessage();
            }
        }

        return true;
    }

    private FrameReadStatus ReadClose(ReadOnlySpan<byte> payload)
    {
        if (payload.Length == 0)
        {
            ReceivedCloseStatus = CloseStatus.NoStatus;
            return FrameReadStatus.CloseReceived;
        }

        if (payload.Length == 1)
        {
            return Violate(CloseStatus.ProtocolError, "close payload of one byte");
        }

        ushort code = BinaryPrimitives.ReadUInt16BigEndian(payload);
        if (!CloseStatus.IsValidOnWire(code))
        {
            return Violate(CloseStatus.ProtocolError, "invalid close code");
        }

        ReadOnlySpan<byte> reason = payload[2..];
        if (!Utf8.IsValid(reason))
        {
            return Violate(CloseStatus.InvalidPayload, "invalid UTF-8 in close reason");
        }

        ReceivedCloseStatus = code;
        ReceivedCloseReason = reason.IsEmpty ? null : Encoding.UTF8.GetString(reason);
        return FrameReadStatus.CloseReceived;
    }

    private FrameReadStatus Violate(ushort status, string reason)
    {
        ViolationStatus = status;
        ViolationReason = reason;
        ReleaseMessage();
        _inMessage = false;
        _inPayload = false;
        _holding = false;
        return FrameReadStatus.Violation;
    }

    // Unmasks and validates block by block, so each block is validated while it is still in L1 cache.
    private static bool UnmaskAndValidateUtf8(in ReadOnlySequence<byte> payload, uint mask)
    {
        var validator = default(Utf8StreamValidator);
        int offset = 0;
        return UnmaskAndValidateUtf8(payload, mask, ref offset, ref validator, isFinal: true);
    }

    // One pass: each cache-sized block is unmasked and validated before the next is touched. isFinal: the payload
    // ends with this piece (a code point cut at its end is then invalid).
    private static bool UnmaskAndValidateUtf8(in ReadOnlySequence<byte> piece, uint mask, ref int maskOffset, ref Utf8StreamValidator validator, bool isFinal)
    {
        const int Block = 8192;
        long left = piece.Length;
        if (left == 0)
        {
            return validator.Append([], isFinal);
        }

        foreach (ReadOnlyMemory<byte> segment in piece)
        {
            Span<byte> span = MemoryMarshal.AsMemory(segment).Span;
            while (!span.IsEmpty)
            {
                Span<byte> block = span[..Math.Min(Block, span.Length)];
                maskOffset = FrameMask.Apply(block, mask, maskOffset);
                left -= block.Length;
                if (!validator.Append(block, isFinal: isFinal && left == 0))
                {
                    return false;
                }

                span = span[block.Length..];
            }
        }

        return true;
    }

    // headerLength is -1 on an invalid 64-bit length (most significant bit set, §5.2).
    private static bool TryReadHeader(in ReadOnlySequence<byte> rest, Span<byte> copy, out byte first, out byte second, out long length, out uint mask, out int headerLength)
    {
        first = second = 0;
        length = 0;
        mask = 0;
        headerLength = 0;
        ReadOnlySpan<byte> span = rest.FirstSpan;
        if (span.Length < MaxFrameHeaderLength && rest.Length > span.Length)
        {
            int available = (int)Math.Min(MaxFrameHeaderLength, rest.Length);
            rest.Slice(0, available).CopyTo(copy);
            span = copy[..available];
        }

        if (span.Length < 2)
        {
            return false;
        }

        first = span[0];
        second = span[1];
        int lengthCode = second & 0x7F;
        int needed = 2 + (lengthCode == 126 ? 2 : lengthCode == 127 ? 8 : 0) + ((second & 0x80) != 0 ? 4 : 0);
        if (span.Length < needed)
        {
            return false;
        }

        int at = 2;
        if (lengthCode == 126)
        {
            length = BinaryPrimitives.ReadUInt16BigEndian(span[2..]);
            at = 4;
        }
        else if (lengthCode == 127)
        {
            ulong wide = BinaryPrimitives.ReadUInt64BigEndian(span[2..]);
            if (wide > long.MaxValue)
            {
                headerLength = -1;
                return false;
            }

            length = (long)wide;
            at = 10;
        }
        else
        {
            length = lengthCode;
        }

        if ((second & 0x80) != 0)
        {
            mask = BinaryPrimitives.ReadUInt32LittleEndian(span[at..]);
        }

        headerLength = needed;
        return true;
    }

    private void EnsureCapacity(int size)
    {
        if (_message is not null && _message.Length >= size)
        {
            return;
        }

        // Grow geometrically but never past the limit, so a slow trickle does not rent the maximum up front.
        int target = (int)Math.Min(_maxMessageBytes, Math.Max(size, Math.Max(4096L, (_message?.Length ?? 0) * 2L)));
        byte[] bigger = BufferPool<byte>.Rent(target);
        if (_message is not null)
        {
            _message.AsSpan(0, _messageLength).CopyTo(bigger);
            BufferPool<byte>.Return(_message);
        }

        _message = bigger;
    }

    private void ReleaseMessage()
    {
        if (_message is not null)
        {
            BufferPool<byte>.Return(_message);
            _message = null;
        }

        _messageLength = 0;
    }
}
