using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Realtime.Engine.Backends.OpenAiHttp;

/// <summary>
/// The OpenAI Chat Completions JSON shapes (tools, tool_choice, tool_calls, messages). LocalAI's gRPC
/// <c>PredictOptions.Tools/ToolChoice</c> and <c>Message.tool_calls</c> carry the same JSON as strings.
/// </summary>
internal static class OpenAiChatJson
{
    public static void WriteTools(Utf8JsonWriter writer, IReadOnlyList<ChatTool> tools)
    {
        writer.WriteStartArray();
        foreach (var tool in tools)
        {
            writer.WriteStartObject();
            writer.WriteString("type", "function");
            writer.WriteStartObject("function");
            writer.WriteString("name", tool.Name);
            if (tool.Description is not null)
            {
                writer.WriteString("description", tool.Description);
            }

            writer.WritePropertyName("parameters");
            if (string.IsNullOrWhiteSpace(tool.ParametersJson))
            {
                writer.WriteRawValue("""{"type":"object","properties":{}}""");
            }
            else
            {
                writer.WriteRawValue(tool.ParametersJson);
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    /// <summary>"auto"/"none"/"required" as a JSON string; anything else forces that function by name.</summary>
    public static void WriteToolChoice(Utf8JsonWriter writer, string toolChoice)
    {
        if (toolChoice is "auto" or "none" or "required" || string.IsNullOrEmpty(toolChoice))
        {
            writer.WriteStringValue(string.IsNullOrEmpty(toolChoice) ? "auto" : toolChoice);
            return;
        }

        writer.WriteStartObject();
        writer.WriteString("type", "function");
        writer.WriteStartObject("function");
        writer.WriteString("name", toolChoice);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    public static void WriteToolCalls(Utf8JsonWriter writer, IReadOnlyList<ChatToolCall> calls)
    {
        writer.WriteStartArray();
        for (var i = 0; i < calls.Count; i++)
        {
            writer.WriteStartObject();
            writer.WriteNumber("index", i);
            writer.WriteString("id", calls[i].Id);
            writer.WriteString("type", "function");
            writer.WriteStartObject("function");
            writer.WriteString("name", calls[i].Name);
            writer.WriteString("arguments", calls[i].ArgumentsJson);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    public static string RoleName(ChatRole role) => role switch
    {
        ChatRole.System => "system",
        ChatRole.User => "user",
        ChatRole.Assistant => "assistant",
        _ => "tool",
    };

    /// <summary>Runs <paramref name="write"/> against a fresh writer and returns the UTF-8 text.</summary>
    public static string ToJsonString<T>(T state, Action<Utf8JsonWriter, T> write)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            write(writer, state);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>A generated call id for backends that send none; reused in the tool reply.</summary>
    public static string NewCallId() => "call_" + Guid.NewGuid().ToString("N")[..24];
}
