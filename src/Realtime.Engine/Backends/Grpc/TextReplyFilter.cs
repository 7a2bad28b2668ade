using System.Text;
using System.Text.Json;
using Realtime.Engine.Backends.OpenAiHttp;

namespace Realtime.Engine.Backends.Grpc;

/// <summary>
/// Splits raw model text (backends without <c>chat_deltas</c>) into speakable text and tool calls:
/// <c>&lt;think&gt;…&lt;/think&gt;</c> is dropped, <c>&lt;tool_call&gt;{json}&lt;/tool_call&gt;</c> becomes a call, and a reply that
/// is nothing but a JSON <c>{"name":…,"arguments":…}</c> object becomes a call. Text that might be the start of a
/// tag is held back until it is decided, so markup is never emitted as text.
/// </summary>
internal sealed class TextReplyFilter
{
    private const string ThinkOpen = "<think>";
    private const string ThinkClose = "</think>";
    private const string ToolOpen = "<tool_call>";
    private const string ToolClose = "</tool_call>";

    private readonly StringBuilder _pending = new();
    private State _state;
    private bool _emittedText;
    private bool _jsonCandidate;

    private enum State { Text, Think, ToolCall }

    public int ToolCallCount { get; private set; }

    public void Append(string text, List<ChatDelta> output)
    {
        _pending.Append(text);
        Drain(output, final: false);
    }

    public void Complete(List<ChatDelta> output) => Drain(output, final: true);

    private void Drain(List<ChatDelta> output, bool final)
    {
        while (_pending.Length > 0)
        {
            switch (_state)
            {
                case State.Think:
                    {
                        var end = IndexOf(ThinkClose);
                        if (end < 0)
                        {
                            // Keep only what could be the start of the closing tag.
                            var keep = Math.Min(_pending.Length, ThinkClose.Length - 1);
                            _pending.Remove(0, _pending.Length - keep);
                            if (final)
                            {
                                _pending.Clear();
                            }

                            return;
                        }

                        _pending.Remove(0, end + ThinkClose.Length);
                        _state = State.Text;
                        break;
                    }

                case State.ToolCall:
                    {
                        var end = IndexOf(ToolClose);
                        if (end < 0)
                        {
                            if (final)
                            {
                                EmitToolCall(_pending.ToString(), output);
                                _pending.Clear();
                            }

                            return;
                        }

                        EmitToolCall(_pending.ToString(0, end), output);
                        _pending.Remove(0, end + ToolClose.Length);
                        _state = State.Text;
                        break;
                    }

                default:
                    if (!DrainText(output, final))
                    {
                        return;
                    }

                    break;
            }
        }
    }

    /// <summary>Returns true when the state changed and draining should continue.</summary>
    private bool DrainText(List<ChatDelta> output, bool final)
    {
        if (!_emittedText)
        {
            var first = FirstNonWhitespace();
            if (first < 0)
            {
                if (final)
                {
                    _pending.Clear();
                }

                return false;
            }

            if (_pending[first] == '{')
            {
                _jsonCandidate = true;
            }
        }

        if (_jsonCandidate)
        {
            if (!final)
            {
                return false;
            }

            var whole = _pending.ToString();
            _pending.Clear();
            _jsonCandidate = false;
            if (!TryEmitToolCall(whole, output))
            {
                EmitText(whole, output);
            }

            return false;
        }

        var lt = IndexOf("<");
        if (lt < 0)
        {
            EmitText(_pending.ToString(), output);
            _pending.Clear();
            return false;
        }

        if (lt > 0)
        {
            EmitText(_pending.ToString(0, lt), output);
            _pending.Remove(0, lt);
        }

        if (StartsWith(ThinkOpen))
        {
            _pending.Remove(0, ThinkOpen.Length);
            _state = State.Think;
            return true;
        }

        if (StartsWith(ToolOpen))
        {
            _pending.Remove(0, ToolOpen.Length);
            _state = State.ToolCall;
            return true;
        }

        if (!final && (IsPrefixOf(ThinkOpen) || IsPrefixOf(ToolOpen)))
        {
            return false;
        }

        // A '<' that starts no known tag is ordinary text.
        var next = IndexOf("<", 1);
        var upTo = next < 0 ? _pending.Length : next;
        EmitText(_pending.ToString(0, upTo), output);
        _pending.Remove(0, upTo);
        return true;
    }

    private void EmitText(string text, List<ChatDelta> output)
    {
        if (!_emittedText)
        {
            // Markup removed from the front usually leaves line breaks that must not be spoken.
            text = text.TrimStart();
        }

        if (text.Length == 0)
        {
            return;
        }

        _emittedText = true;
        output.Add(new ChatDelta(ChatDeltaKind.Text, Text: text));
    }

    private void EmitToolCall(string json, List<ChatDelta> output)
    {
        if (!TryEmitToolCall(json, output))
        {
            throw new InvalidDataException("Backend sent a <tool_call> that is not {\"name\":…,\"arguments\":…} JSON.");
        }
    }

    private bool TryEmitToolCall(string json, List<ChatDelta> output)
    {
        try
        {
            using var document = JsonDocument.Parse(json.Trim());
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String
                || !root.TryGetProperty("arguments", out var arguments))
            {
                return false;
            }

            var argumentsJson = arguments.ValueKind == JsonValueKind.String ? arguments.GetString()! : arguments.GetRawText();
            var id = root.TryGetProperty("id", out var idElement) && idElement.ValueKind == JsonValueKind.String
                ? idElement.GetString()!
                : OpenAiChatJson.NewCallId();
            output.Add(new ChatDelta(ChatDeltaKind.ToolCall, ToolIndex: ToolCallCount++, ToolCallId: id, ToolName: name.GetString(), ArgumentsDelta: argumentsJson));
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private int FirstNonWhitespace()
    {
        for (var i = 0; i < _pending.Length; i++)
        {
            if (!char.IsWhiteSpace(_pending[i]))
            {
                return i;
            }
        }

        return -1;
    }

    private bool StartsWith(string tag)
    {
        if (_pending.Length < tag.Length)
        {
            return false;
        }

        for (var i = 0; i < tag.Length; i++)
        {
            if (_pending[i] != tag[i])
            {
                return false;
            }
        }

        return true;
    }

    private bool IsPrefixOf(string tag)
    {
        if (_pending.Length >= tag.Length)
        {
            return false;
        }

        for (var i = 0; i < _pending.Length; i++)
        {
            if (_pending[i] != tag[i])
            {
                return false;
            }
        }

        return true;
    }

    private int IndexOf(string value, int start = 0)
    {
        for (var i = start; i <= _pending.Length - value.Length; i++)
        {
            var match = true;
            for (var j = 0; j < value.Length; j++)
            {
                if (_pending[i + j] != value[j])
                {
                    match = false;
                    break;
                }
            }

            if (match)
            {
                return i;
            }
        }

        return -1;
    }
}
