using System.Buffers;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Realtime.Host.Telephony;

/// <summary>What a tool call on a phone call returned: the output the model sees, and whether it was a failure.</summary>
internal readonly record struct ToolOutcome(string Output, string Result);

/// <summary>
/// Runs a call's function tools on the configured webhook: POST {name, arguments, call_id, callSid} as JSON, the
/// response body is the output. Bounded by the tool timeout; a failure becomes an error output the model can speak
/// about instead of silence.
/// </summary>
internal sealed class ToolWebhookClient(TelephonyOptions options) : IDisposable
{
    private readonly HttpClient _http = new() { Timeout = Timeout.InfiniteTimeSpan };

    public async Task<ToolOutcome> CallAsync(string name, string arguments, string callId, string? callSid, CancellationToken cancellationToken)
    {
        if (options.ToolWebhook is not { } url)
        {
            return Failure(name, "no tool webhook is configured (Realtime:Telephony:ToolWebhook)", "error");
        }

        var body = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(body))
        {
            json.WriteStartObject();
            json.WriteString("name", name);
            json.WriteString("arguments", arguments);
            json.WriteString("call_id", callId);
            json.WriteString("callSid", callSid);
            json.WriteEndObject();
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(options.ToolTimeout);
        try
        {
            using var content = new ByteArrayContent(body.WrittenSpan.ToArray());
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using HttpResponseMessage response = await _http.PostAsync(url, content, deadline.Token).ConfigureAwait(false);
            string text = await response.Content.ReadAsStringAsync(deadline.Token).ConfigureAwait(false);
            return response.IsSuccessStatusCode
                ? new ToolOutcome(text, "ok")
                : Failure(name, $"the tool webhook answered HTTP {(int)response.StatusCode}", "error");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return Failure(name, $"the tool webhook did not answer within {options.ToolTimeout.TotalSeconds:0.#} s", "timeout");
        }
        catch (HttpRequestException e)
        {
            return Failure(name, "the tool webhook could not be reached: " + e.Message, "error");
        }
    }

    public void Dispose() => _http.Dispose();

    private static ToolOutcome Failure(string name, string why, string result)
    {
        var output = new ArrayBufferWriter<byte>(128);
        using (var json = new Utf8JsonWriter(output))
        {
            json.WriteStartObject();
            json.WriteString("error", $"Tool {name} failed: {why}.");
            json.WriteEndObject();
        }

        return new ToolOutcome(System.Text.Encoding.UTF8.GetString(output.WrittenSpan), result);
    }
}
