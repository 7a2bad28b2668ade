using System.Buffers;
using System.Text;
using Realtime.Wire.Buffers;

namespace Realtime.Wire.Http;

/// <summary>
/// Parses the head of the first HTTP/1.1 request on a connection (request line and header fields) and
/// decides whether it is a Realtime WebSocket upgrade. No I/O: the caller feeds the transport buffer.
/// </summary>
public static class UpgradeRequestParser
{
    private static ReadOnlySpan<byte> RealtimePrefix => "GET /v1/realtime"u8;

    private static ReadOnlySpan<byte> HeadEnd => "\r\n\r\n"u8;

    /// <summary>
    /// Whether the buffered bytes can still be a realtime upgrade: false as soon as the request line
    /// shows another method or path (hand the connection to the HTTP pipeline at once), true when it matches.
    /// Null when too few bytes are buffered to tell.
    /// </summary>
    public static bool? StartsAsRealtimeRequest(in ReadOnlySequence<byte> buffer)
    {
        Span<byte> start = stackalloc byte[RealtimePrefix.Length + 1];
        int available = (int)Math.Min(buffer.Length, start.Length);
        buffer.Slice(0, available).CopyTo(start);
        ReadOnlySpan<byte> seen = start[..available];
        int compare = Math.Min(seen.Length, RealtimePrefix.Length);
        if (!seen[..compare].SequenceEqual(RealtimePrefix[..compare]))
        {
            return false;
        }

        if (seen.Length <= RealtimePrefix.Length)
        {
            return null;
        }

        byte next = seen[RealtimePrefix.Length];
        return next is (byte)' ' or (byte)'?';
    }

    /// <summary>Parses a complete request head; <paramref name="end"/> is the position after its blank line.</summary>
    public static UpgradeParseStatus TryParse(in ReadOnlySequence<byte> buffer, int maxHeadBytes, out UpgradeRequest? request, out SequencePosition end)
    {
        request = null;
        end = buffer.Start;
        var reader = new SequenceReader<byte>(buffer);
        if (!reader.TryReadTo(out ReadOnlySequence<byte> head, HeadEnd, advancePastDelimiter: true))
        {
            return buffer.Length > maxHeadBytes ? UpgradeParseStatus.TooLarge : UpgradeParseStatus.NeedMoreData;
        }

        if (head.Length + HeadEnd.Length > maxHeadBytes)
        {
            return UpgradeParseStatus.TooLarge;
        }

        end = reader.Position;
        byte[] rented = BufferPool<byte>.Rent((int)head.Length);
        try
        {
            Span<byte> bytes = rented.AsSpan(0, (int)head.Length);
            head.CopyTo(bytes);
            request = Parse(bytes);
            return request is null ? UpgradeParseStatus.Malformed : UpgradeParseStatus.Done;
        }
        finally
        {
            BufferPool<byte>.Return(rented);
        }
    }

    private static UpgradeRequest? Parse(ReadOnlySpan<byte> head)
    {
        int lineEnd = head.IndexOf("\r\n"u8);
        ReadOnlySpan<byte> line = lineEnd < 0 ? head : head[..lineEnd];
        int firstSpace = line.IndexOf((byte)' ');
        int lastSpace = line.LastIndexOf((byte)' ');
        if (firstSpace <= 0 || lastSpace <= firstSpace + 1 || !IsVisibleAscii(line))
        {
            return null;
        }

        var request = new UpgradeRequest(
            Encoding.ASCII.GetString(line[..firstSpace]),
            Encoding.ASCII.GetString(line[(firstSpace + 1)..lastSpace]),
            Encoding.ASCII.GetString(line[(lastSpace + 1)..]));

        ReadOnlySpan<byte> fields = lineEnd < 0 ? [] : head[(lineEnd + 2)..];
        while (!fields.IsEmpty)
        {
            int next = fields.IndexOf("\r\n"u8);
            ReadOnlySpan<byte> field = next < 0 ? fields : fields[..next];
            fields = next < 0 ? [] : fields[(next + 2)..];
            int colon = field.IndexOf((byte)':');
            // RFC 9112 §5.1: no whitespace between name and colon; obsolete line folding is rejected.
            if (colon <= 0 || field[colon - 1] is (byte)' ' or (byte)'\t' || field[0] is (byte)' ' or (byte)'\t')
            {
                return null;
            }

            ReadOnlySpan<byte> value = field[(colon + 1)..].Trim(" \t"u8);
            if (value.ContainsAny((byte)'\r', (byte)'\n', (byte)0))
            {
                return null;
            }

            request.AddHeader(Encoding.ASCII.GetString(field[..colon]), Encoding.UTF8.GetString(value));
        }

        return request;
    }

    private static bool IsVisibleAscii(ReadOnlySpan<byte> line) => !line.ContainsAnyExceptInRange((byte)0x20, (byte)0x7E);
}
