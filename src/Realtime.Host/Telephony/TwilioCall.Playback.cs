using System.Buffers.Text;
using System.Diagnostics;
using System.Text;
using Realtime.Engine.Responses;

namespace Realtime.Host.Telephony;

/// <summary>
/// Outbound audio and what was heard: the session's audio becomes 20 ms `media` frames with a `mark` after each
/// piece (named `item:ms`, the last one of an item `item:ms:end`); echoed marks advance the heard position; a
/// barge-in sends `clear` at once and truncates the item at the last echoed mark, never at what was merely sent.
/// </summary>
internal sealed partial class TwilioCall
{
    public void OnSpeechStarted(string itemId, long audioStartMs)
    {
        BargeIn("speech");
    }

    public void OnSpeechStopped(string itemId, long audioEndMs)
    {
        // How far the received audio ran past audio_end_ms when the session decided (frames queued behind VAD): the
        // latency from the end of the turn adds it to the time from this moment to the first answer frame.
        long inboundMs = Volatile.Read(ref _inboundBytes) / BytesPerMs;
        _turns++;
        lock (_gate)
        {
            _speechStoppedAt = Stopwatch.GetTimestamp();
            _speechTailMs = Math.Max(0, inboundMs - audioEndMs);
        }
    }

    public void OnUserTranscript(string itemId, string? transcript) =>
        _logger.LogDebug("Call {CallSid}: caller said \"{Transcript}\"", _callSid, transcript);

    public void OnAudio(string responseId, string itemId, int contentIndex, ReadOnlySpan<byte> audio)
    {
        lock (_gate)
        {
            if (_cutItems.Contains(itemId))
            {
                return;
            }

            if (_sendingItemId != itemId)
            {
                _sendingItemId = itemId;
                _carryLength = 0;
                _sentItemBytes = 0;
                NoteFirstMedia();
            }

            int frames = 0;
            if (_carryLength > 0)
            {
                int fill = Math.Min(FrameBytes - _carryLength, audio.Length);
                audio[..fill].CopyTo(_carry.AsSpan(_carryLength));
                _carryLength += fill;
                audio = audio[fill..];
                if (_carryLength == FrameBytes)
                {
                    SendMedia(_carry);
                    _carryLength = 0;
                    frames++;
                }
            }

            while (audio.Length >= FrameBytes)
            {
                SendMedia(audio[..FrameBytes]);
                audio = audio[FrameBytes..];
                frames++;
            }

            audio.CopyTo(_carry.AsSpan(_carryLength));
            _carryLength += audio.Length;
            if (frames > 0)
            {
                _sentItemBytes += frames * FrameBytes;
                SendMark(itemId, _sentItemBytes / BytesPerMs, last: false);
            }
        }
    }

    public void OnAudioDone(string responseId, string itemId, int contentIndex, string transcript)
    {
        _logger.LogDebug("Call {CallSid}: assistant said \"{Transcript}\"", _callSid, transcript);
        lock (_gate)
        {
            if (_cutItems.Contains(itemId) || _sendingItemId != itemId)
            {
                return;
            }

            if (_carryLength > 0)
            {
                SendMedia(_carry.AsSpan(0, _carryLength));
                _sentItemBytes += _carryLength;
                _carryLength = 0;
            }

            SendMark(itemId, _sentItemBytes / BytesPerMs, last: true);
            _sendingItemId = null;
        }
    }

    private void OnMark(ReadOnlySpan<byte> json)
    {
        int length = TwilioInbound.ReadMarkName(json, _markName);
        if (length <= 0)
        {
            return;
        }

        ReadOnlySpan<byte> name = _markName.AsSpan(0, length);
        bool hangUp = false;
        lock (_gate)
        {
            // Twilio echoes marks in the order they were sent; one not found is from audio already cleared.
            while (_marks.TryPeek(out SentMark head))
            {
                _marks.Dequeue();
                if (Matches(name, head))
                {
                    _playedItemId = head.ItemId;
                    _playedMs = head.EndMs;
                    break;
                }
            }

            hangUp = _endCall == EndCallState.Closing && _marks.Count == 0 && _sendingItemId is null;
        }

        if (hangUp)
        {
            using IDisposable? scope = BeginScope();
            HangUp("the goodbye has played");
        }
    }

    /// <summary>
    /// The caller interrupted (speech or a key): stop playback now and cut the assistant's item to what was heard.
    /// Nothing happens when nothing is playing.
    /// </summary>
    private void BargeIn(string cause)
    {
        string item;
        long heard, sent;
        lock (_gate)
        {
            if (_marks.Count == 0 && _sendingItemId is null)
            {
                return;
            }

            item = _marks.TryPeek(out SentMark head) ? head.ItemId : _sendingItemId!;
            heard = _playedItemId == item ? _playedMs : 0;
            sent = 0;
            foreach (SentMark mark in _marks)
            {
                if (mark.ItemId == item)
                {
                    sent = mark.EndMs;
                }
            }

            // Marks still queued at Twilio come back after the clear: they no longer match anything and are ignored.
            _marks.Clear();
            _cutItems.Add(item);
            if (_sendingItemId is { } sending)
            {
                _cutItems.Add(sending);
            }

            _sendingItemId = null;
            _carryLength = 0;
            SendClear();
        }

        _bargeIns++;
        TelephonyMetrics.BargeIns.Add(1, new KeyValuePair<string, object?>("cause", cause));
        _session?.Truncate(item, 0, heard);
        _logger.LogInformation(
            "Call {CallSid}: barge-in ({Cause}); playback cleared, item {ItemId} truncated at {HeardMs} ms heard of {SentMs} ms sent",
            _callSid, cause, item, heard, Math.Max(sent, heard));
    }

    /// <summary>
    /// The first frame of an answer: from the end of the caller's turn on the audio clock (VAD's audio_end_ms, i.e. the
    /// caller's last word plus the silence that ends a turn) to now, the part of the wait this server controls.
    /// </summary>
    private void NoteFirstMedia()
    {
        if (_speechStoppedAt == 0)
        {
            return;
        }

        TimeSpan sinceDecision = Stopwatch.GetElapsedTime(_speechStoppedAt);
        TimeSpan latency = sinceDecision + TimeSpan.FromMilliseconds(_speechTailMs);
        _speechStoppedAt = 0;
        LastFirstMediaLatency = latency;
        TelephonyMetrics.FirstMediaLatency.Record(latency.TotalSeconds);
        _logger.LogInformation(
            "Call {CallSid}: first answer frame {LatencyMs:0} ms after the end of the caller's turn (VAD's audio_end_ms; {DecisionMs:0} ms after it was decided)",
            _callSid, latency.TotalMilliseconds, sinceDecision.TotalMilliseconds);
    }

    private static bool Matches(ReadOnlySpan<byte> name, SentMark mark)
    {
        int colon = name.IndexOf((byte)':');
        if (colon < 0 || !Ascii.Equals(name[..colon], mark.ItemId))
        {
            return false;
        }

        ReadOnlySpan<byte> rest = name[(colon + 1)..];
        if (!Utf8Parser.TryParse(rest, out long ms, out int consumed) || ms != mark.EndMs)
        {
            return false;
        }

        return rest[consumed..].SequenceEqual(mark.Last ? ":end"u8 : ""u8);
    }

    private void SendMedia(ReadOnlySpan<byte> frame)
    {
        lock (_sendGate)
        {
            _json.ResetWrittenCount();
            _writer.Reset(_json);
            _writer.WriteStartObject();
            _writer.WriteString("event"u8, "media"u8);
            _writer.WriteString("streamSid"u8, _streamSid);
            _writer.WriteStartObject("media"u8);
            _writer.WriteBase64String("payload"u8, frame);
            _writer.WriteEndObject();
            _writer.WriteEndObject();
            _writer.Flush();
            _connection.SendText(_json.WrittenSpan);
        }

        TelephonyMetrics.Frames.Add(1, new KeyValuePair<string, object?>("direction", "out"));
    }

    /// <summary>Sends a mark (called under _gate, so the queue and the wire agree on the order).</summary>
    private void SendMark(string itemId, long endMs, bool last)
    {
        Span<char> name = stackalloc char[itemId.Length + 32];
        itemId.CopyTo(name);
        int length = itemId.Length;
        name[length++] = ':';
        endMs.TryFormat(name[length..], out int digits, default, System.Globalization.CultureInfo.InvariantCulture);
        length += digits;
        if (last)
        {
            ":end".CopyTo(name[length..]);
            length += 4;
        }

        _marks.Enqueue(new SentMark(itemId, endMs, last));
        lock (_sendGate)
        {
            _json.ResetWrittenCount();
            _writer.Reset(_json);
            _writer.WriteStartObject();
            _writer.WriteString("event"u8, "mark"u8);
            _writer.WriteString("streamSid"u8, _streamSid);
            _writer.WriteStartObject("mark"u8);
            _writer.WriteString("name"u8, name[..length]);
            _writer.WriteEndObject();
            _writer.WriteEndObject();
            _writer.Flush();
            _connection.SendText(_json.WrittenSpan);
        }
    }

    private void SendClear()
    {
        lock (_sendGate)
        {
            _json.ResetWrittenCount();
            _writer.Reset(_json);
            _writer.WriteStartObject();
            _writer.WriteString("event"u8, "clear"u8);
            _writer.WriteString("streamSid"u8, _streamSid);
            _writer.WriteEndObject();
            _writer.Flush();
            _connection.SendText(_json.WrittenSpan);
        }
    }
}
