using System.Text.Json;
using Realtime.Engine.Backends;
using Realtime.Engine.Backends.Grpc.Protocol;

namespace Realtime.Host.BackendMode;

/// <summary>
/// LocalAI's PredictOptions as a chat request for the echo model: Messages in tokenizer-template mode (the first
/// system message becomes the instructions), otherwise the raw Prompt as one user message; Tools and ToolChoice
/// are OpenAI JSON, read with JsonDocument (no reflection, AOT-safe).
/// </summary>
internal static class PredictRequestMapper
{
    public static ChatRequest ToChatRequest(PredictOptions options)
    {
        string? instructions = null;
        var messages = new List<ChatMessage>();
        if (options.UseTokenizerTemplate && options.Messages.Count > 0)
        {
            foreach (Message message in options.Messages)
            {
                ChatRole role = message.Role switch
                {
                    "system" or "developer" => ChatRole.System,
                    "assistant" => ChatRole.Assistant,
                    "tool" => ChatRole.Tool,
                    _ => ChatRole.User,
                };
                if (role == ChatRole.System && instructions is null && messages.Count == 0)
                {
                    instructions = message.Content;
                    continue;
                }

                messages.Add(new ChatMessage(role, message.Content)
                {
                    ToolCallId = message.ToolCallId.Length > 0 ? message.ToolCallId : null,
                    Name = message.Name.Length > 0 ? message.Name : null,
                });
            }
        }
        else
        {
            messages.Add(new ChatMessage(ChatRole.User, options.Prompt));
        }

        return new ChatRequest(
            options.ModelIdentity.Length > 0 ? options.ModelIdentity : null,
            instructions,
            messages,
            ReadTools(options.Tools),
            ReadToolChoice(options.ToolChoice),
            options.Temperature,
            options.Tokens > 0 ? options.Tokens : null);
    }

    internal static List<ChatTool> ReadTools(string json)
    {
        var tools = new List<ChatTool>();
        if (string.IsNullOrWhiteSpace(json))
        {
            return tools;
        }

        using var document = JsonDocument.Parse(json);
        if (document.RootElement.ValueKind != JsonValueKind.Array)
        {
            throw new FormatException("Tools must be a JSON array of OpenAI tool definitions.");
        }

        foreach (JsonElement tool in document.RootElement.EnumerateArray())
        {
            // Both the chat-completions shape {type, function:{...}} and the flat realtime shape {type, name, ...}.
            JsonElement function = tool.TryGetProperty("function", out JsonElement f) ? f : tool;
            if (!function.TryGetProperty("name", out JsonElement name) || name.ValueKind != JsonValueKind.String)
            {
                continue;
            }

            string? description = function.TryGetProperty("description", out JsonElement d) && d.ValueKind == JsonValueKind.String ? d.GetString() : null;
            string? parameters = function.TryGetProperty("parameters", out JsonElement p) && p.ValueKind == JsonValueKind.Object ? p.GetRawText() : null;
            tools.Add(new ChatTool(name.GetString()!, description, parameters));
        }

        return tools;
    }

    internal static string ReadToolChoice(string json)
    {
        if (string.IsNullOrWhiteSpace(json))
        {
            return "auto";
        }

        try
        {
            using var document = JsonDocument.Parse(json);
            JsonElement root = document.RootElement;
            if (root.ValueKind == JsonValueKind.String)
            {
                return root.GetString() ?? "auto";
            }

            JsonElement function = root.TryGetProperty("function", out JsonElement f) ? f : root;
            return function.TryGetProperty("name", out JsonElement name) && name.ValueKind == JsonValueKind.String
                ? name.GetString()!
                : "auto";
        }
        catch (JsonException)
        {
            // LocalAI also passes the bare word unquoted.
            return json.Trim();
        }
    }
}
