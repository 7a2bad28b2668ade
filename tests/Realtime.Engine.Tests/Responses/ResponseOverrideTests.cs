using System.Text.Json;
using Realtime.Engine.Backends;
using Realtime.Engine.Sessions;
using Realtime.Engine.Tests.Sessions;

namespace Realtime.Engine.Tests.Responses;

public sealed class ResponseOverrideTests
{
    [Fact]
    public async Task PerResponseOverridesReachTheModelAndTheResponseObject()
    {
        await using var h = new SessionHarness();
        h.Send("{\"type\":\"response.create\",\"response\":{\"instructions\":\"Be terse\",\"output_modalities\":[\"text\"],\"temperature\":0.7," +
               "\"tools\":[{\"type\":\"function\",\"name\":\"lookup\"}],\"tool_choice\":{\"type\":\"function\",\"name\":\"lookup\"},\"max_output_tokens\":77," +
               "\"audio\":{\"output\":{\"voice\":\"cedar\"}}}}");
        JsonElement done = (await h.WaitFor("response.done")).GetProperty("response");
        ChatRequest request = h.Model.LastRequest!;
        Assert.Equal(("Be terse", "lookup", 77, 0.7f), (request.Instructions, request.ToolChoice, request.MaxOutputTokens!.Value, request.Temperature!.Value));
        Assert.Equal("lookup", request.Tools.Single().Name);
        Assert.Equal("[\"text\"]", done.GetProperty("output_modalities").GetRawText());
        Assert.Equal(77, done.GetProperty("max_output_tokens").GetInt32());
        Assert.Equal("cedar", done.GetProperty("audio").GetProperty("output").GetProperty("voice").GetString());
        // The session itself is unchanged.
        Assert.True(((RealtimeSession)h.Session).Config.AudioOutput);
    }

    [Theory]
    [InlineData("{\"conversation\":\"other\"}", "invalid_value", "response.conversation")]
    [InlineData("{\"output_modalities\":[\"smell\"]}", "invalid_value", "response.output_modalities[0]")]
    [InlineData("{\"max_output_tokens\":9999}", "integer_above_max_value", "response.max_output_tokens")]
    [InlineData("{\"modalities\":[\"text\"]}", "unknown_parameter", "response.modalities")]
    [InlineData("{\"input\":[{\"type\":\"item_reference\",\"id\":\"missing\"}]}", "invalid_value", "response.input[0].id")]
    [InlineData("{\"metadata\":{\"k\":5}}", "invalid_type", "response.metadata.k")]
    public async Task InvalidOverridesAreRejected(string response, string code, string param)
    {
        await using var h = new SessionHarness();
        JsonElement error = (await h.Exchange($"{{\"type\":\"response.create\",\"event_id\":\"rc\",\"response\":{response}}}")).Single().GetProperty("error");
        Assert.Equal((code, param, "rc"), (error.GetProperty("code").GetString(), error.GetProperty("param").GetString(), error.GetProperty("event_id").GetString()));
        Assert.DoesNotContain("response.created", h.Output.Types());
    }

    [Fact]
    public async Task ItemReferenceInputUsesOnlyThoseItems()
    {
        await using var h = new SessionHarness();
        h.Send("{\"type\":\"conversation.item.create\",\"item\":{\"id\":\"keep\",\"type\":\"message\",\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"kept\"}]}}");
        h.Send("{\"type\":\"conversation.item.create\",\"item\":{\"type\":\"message\",\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"ignored\"}]}}");
        h.Send("{\"type\":\"response.create\",\"response\":{\"output_modalities\":[\"text\"],\"input\":[{\"type\":\"item_reference\",\"id\":\"keep\"}]}}");
        await h.WaitFor("response.done");
        Assert.Equal(["kept"], h.Model.LastRequest!.Messages.Select(m => m.Content));
    }

    [Fact]
    public async Task BufferedAudioCapGivesAClearError()
    {
        await using var h = new SessionHarness(options: new RealtimeSessionOptions { MaxBufferedAudioBytes = 9600 });
        string append = $"{{\"type\":\"input_audio_buffer.append\",\"event_id\":\"big\",\"audio\":\"{Convert.ToBase64String(new byte[4800])}\"}}";
        h.Send(append);
        h.Send(append);
        JsonElement error = (await h.Exchange(append)).Single().GetProperty("error");
        Assert.Equal(("audio", "big"), (error.GetProperty("param").GetString(), error.GetProperty("event_id").GetString()));
        Assert.Contains("9600", error.GetProperty("message").GetString());
    }
}
