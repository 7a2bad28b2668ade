using System.Text.Json;
using Realtime.Wire.Events;

namespace Realtime.Engine.Tests.Sessions;

public sealed class SessionUpdateTests
{
    private static string Update(string fields) => $"{{\"type\":\"session.update\",\"event_id\":\"u1\",\"session\":{{\"type\":\"realtime\"{fields}}}}}";

    [Theory]
    [InlineData(",\"output_modalities\":[\"video\"]", "invalid_value", "session.output_modalities[0]")]
    [InlineData(",\"output_modalities\":[\"text\",\"audio\"]", "invalid_value", "session.output_modalities")]
    [InlineData(",\"audio\":{\"input\":{\"format\":{\"type\":\"audio/mp3\"}}}", "invalid_value", "session.audio.input.format.type")]
    [InlineData(",\"audio\":{\"input\":{\"format\":{\"type\":\"audio/pcm\",\"rate\":16000}}}", "integer_below_min_value", "session.audio.input.format.rate")]
    [InlineData(",\"audio\":{\"output\":{\"voice\":\"nope\"}}", "invalid_value", "session.audio.output.voice")]
    [InlineData(",\"audio\":{\"output\":{\"speed\":2.0}}", "decimal_above_max_value", "session.audio.output.speed")]
    [InlineData(",\"audio\":{\"output\":{\"speed\":0.1}}", "decimal_below_min_value", "session.audio.output.speed")]
    [InlineData(",\"audio\":{\"input\":{\"turn_detection\":{\"type\":\"magic_vad\"}}}", "invalid_value", "session.audio.input.turn_detection.type")]
    [InlineData(",\"audio\":{\"input\":{\"turn_detection\":{\"type\":\"server_vad\",\"threshold\":1.5}}}", "decimal_above_max_value", "session.audio.input.turn_detection.threshold")]
    [InlineData(",\"audio\":{\"input\":{\"turn_detection\":{\"type\":\"server_vad\",\"silence_duration_ms\":-1}}}", "integer_below_min_value", "session.audio.input.turn_detection.silence_duration_ms")]
    [InlineData(",\"audio\":{\"input\":{\"turn_detection\":{\"type\":\"server_vad\",\"prefix_padding_ms\":1.5}}}", "invalid_type", "session.audio.input.turn_detection.prefix_padding_ms")]
    [InlineData(",\"audio\":{\"input\":{\"turn_detection\":{\"type\":\"semantic_vad\",\"eagerness\":\"max\"}}}", "invalid_value", "session.audio.input.turn_detection.eagerness")]
    [InlineData(",\"audio\":{\"input\":{\"noise_reduction\":{\"type\":\"mid_field\"}}}", "invalid_value", "session.audio.input.noise_reduction.type")]
    [InlineData(",\"max_output_tokens\":5000", "integer_above_max_value", "session.max_output_tokens")]
    [InlineData(",\"max_output_tokens\":0", "integer_below_min_value", "session.max_output_tokens")]
    [InlineData(",\"max_output_tokens\":\"lots\"", "invalid_value", "session.max_output_tokens")]
    [InlineData(",\"tool_choice\":\"sometimes\"", "invalid_value", "session.tool_choice")]
    [InlineData(",\"tools\":[{\"type\":\"function\"}]", "missing_required_parameter", "session.tools[0].name")]
    [InlineData(",\"tools\":[{\"type\":\"browser\",\"name\":\"x\"}]", "invalid_value", "session.tools[0].type")]
    [InlineData(",\"tracing\":\"manual\"", "invalid_value", "session.tracing")]
    [InlineData(",\"temperature\":0.8", "unknown_parameter", "session.temperature")]
    [InlineData(",\"bogus_field\":1", "unknown_parameter", "session.bogus_field")]
    [InlineData(",\"instructions\":5", "invalid_type", "session.instructions")]
    public async Task InvalidFieldIsRejectedWholeWithParam(string fields, string code, string param)
    {
        await using var h = new SessionHarness();
        await h.WaitFor("session.created");
        // A valid field before the bad one must not be applied either.
        List<JsonElement> events = await h.Exchange(Update(",\"instructions\":\"changed\"" + fields));
        JsonElement error = Assert.Single(events).GetProperty("error");
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.Equal("u1", error.GetProperty("event_id").GetString());
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.NotEqual("changed", ((Realtime.Engine.Sessions.RealtimeSession)h.Session).Config.Instructions);
    }

    [Fact]
    public async Task RateBelow24000HasTheCapturedMessage()
    {
        await using var h = new SessionHarness();
        List<JsonElement> events = await h.Exchange(Update(",\"audio\":{\"input\":{\"format\":{\"type\":\"audio/pcm\",\"rate\":16000}}}"));
        Assert.Contains("Expected a value >= 24000", events.Single().GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task MissingTypeAndChangingTypeAreRejected()
    {
        await using var h = new SessionHarness();
        JsonElement missing = (await h.Exchange("{\"type\":\"session.update\",\"session\":{}}")).Single().GetProperty("error");
        Assert.Equal(("missing_required_parameter", "session.type"), (missing.GetProperty("code").GetString(), missing.GetProperty("param").GetString()));
        JsonElement change = (await h.Exchange("{\"type\":\"session.update\",\"session\":{\"type\":\"transcription\"}}")).Single().GetProperty("error");
        Assert.Equal(("invalid_value", "session.type"), (change.GetProperty("code").GetString(), change.GetProperty("param").GetString()));
    }

    [Fact]
    public async Task AgentsJsSetupIsAcceptedAndEchoed()
    {
        await using var h = new SessionHarness();
        string update = Update(",\"model\":\"gpt-realtime\",\"instructions\":\"Be brief\",\"output_modalities\":[\"audio\"]," +
            "\"audio\":{\"input\":{\"format\":{\"type\":\"audio/pcm\",\"rate\":24000},\"transcription\":{\"model\":\"gpt-4o-mini-transcribe\"}," +
            "\"turn_detection\":{\"type\":\"semantic_vad\"},\"noise_reduction\":null},\"output\":{\"format\":{\"type\":\"audio/pcmu\"},\"voice\":\"marin\",\"speed\":1}}," +
            "\"tool_choice\":\"auto\",\"tools\":[{\"type\":\"function\",\"name\":\"f\",\"description\":\"d\",\"parameters\":{\"type\":\"object\",\"properties\":{}}}]");
        List<JsonElement> events = await h.Exchange(update);
        JsonElement s = Assert.Single(events).GetProperty("session");
        Assert.Equal("session.updated", events[0].GetProperty("type").GetString());
        Assert.Equal("Be brief", s.GetProperty("instructions").GetString());
        JsonElement input = s.GetProperty("audio").GetProperty("input");
        Assert.Equal("{\"model\":\"gpt-4o-mini-transcribe\",\"language\":null,\"prompt\":null}", input.GetProperty("transcription").GetRawText());
        Assert.Equal("semantic_vad", input.GetProperty("turn_detection").GetProperty("type").GetString());
        Assert.Equal("auto", input.GetProperty("turn_detection").GetProperty("eagerness").GetString());
        Assert.Equal("{\"type\":\"audio/pcmu\"}", s.GetProperty("audio").GetProperty("output").GetProperty("format").GetRawText());
        Assert.Equal("marin", s.GetProperty("audio").GetProperty("output").GetProperty("voice").GetString());
        Assert.Equal("{\"type\":\"object\",\"properties\":{}}", s.GetProperty("tools")[0].GetProperty("parameters").GetRawText());

        JsonElement traced = (await h.Exchange(Update(",\"tracing\":\"auto\""))).Single().GetProperty("session");
        Assert.Equal("auto", traced.GetProperty("tracing").GetString());
        // Omitted fields keep their values.
        Assert.Equal("Be brief", traced.GetProperty("instructions").GetString());
        Assert.Equal("marin", traced.GetProperty("audio").GetProperty("output").GetProperty("voice").GetString());
        JsonElement again = (await h.Exchange(Update(",\"tracing\":\"auto\""))).Single();
        Assert.Equal("session.updated", again.GetProperty("type").GetString());
    }

    [Fact]
    public async Task NullDisablesTurnDetection()
    {
        await using var h = new SessionHarness();
        JsonElement s = (await h.Exchange(Update(",\"audio\":{\"input\":{\"turn_detection\":null}}"))).Single().GetProperty("session");
        Assert.Equal(JsonValueKind.Null, s.GetProperty("audio").GetProperty("input").GetProperty("turn_detection").ValueKind);
    }

    [Fact]
    public async Task BetaSessionUpdateUsesFlatFields()
    {
        await using var h = new SessionHarness(Dialect.Beta);
        JsonElement s = (await h.Exchange("{\"type\":\"session.update\",\"session\":{\"modalities\":[\"text\"],\"voice\":\"verse\",\"input_audio_format\":\"g711_ulaw\",\"temperature\":0.7,\"max_response_output_tokens\":100}}")).Single().GetProperty("session");
        Assert.Equal("[\"text\"]", s.GetProperty("modalities").GetRawText());
        Assert.Equal(("verse", "g711_ulaw", 0.7, 100), (s.GetProperty("voice").GetString(), s.GetProperty("input_audio_format").GetString(), s.GetProperty("temperature").GetDouble(), s.GetProperty("max_response_output_tokens").GetInt32()));
        JsonElement error = (await h.Exchange("{\"type\":\"session.update\",\"event_id\":\"b\",\"session\":{\"temperature\":2}}")).Single().GetProperty("error");
        Assert.Equal(("decimal_above_max_value", "session.temperature", "b"), (error.GetProperty("code").GetString(), error.GetProperty("param").GetString(), error.GetProperty("event_id").GetString()));
    }

    [Fact]
    public async Task BetaTranscriptionSessionUpdateAnswersTranscriptionSessionUpdated()
    {
        await using var h = new SessionHarness(Dialect.Beta);
        JsonElement e = (await h.Exchange("{\"type\":\"transcription_session.update\",\"session\":{\"input_audio_transcription\":{\"model\":\"whisper-1\",\"language\":\"en\"}}}")).Single();
        Assert.Equal("transcription_session.updated", e.GetProperty("type").GetString());
        Assert.Equal("whisper-1", e.GetProperty("session").GetProperty("input_audio_transcription").GetProperty("model").GetString());
    }
}
