using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Options;

namespace Realtime.Host.Tests.Connections;

public sealed class OptionsValidationTests
{
    [Theory]
    [InlineData("--Realtime:Limits:MaxMessageBytes=1000", "Realtime:Limits:MaxMessageBytes must be between 22020096")]
    [InlineData("--Realtime:Limits:OutgoingFragmentBytes=2000000", "Realtime:Limits:OutgoingFragmentBytes must be between 126 and 1048576")]
    [InlineData("--Realtime:WebSocket:CloseTimeoutSeconds=0", "Realtime:WebSocket:CloseTimeoutSeconds must be greater than 0")]
    [InlineData("--Realtime:WebSocket:KeepAliveSeconds=3", "Realtime:WebSocket:KeepAliveSeconds is not a known setting")]
    [InlineData("--Realtime:ApiKeys:0= ", "Realtime:ApiKeys:0 must be a non-empty key")]
    [InlineData("--Realtime:ClientSecrets:SigningKeys:0=not-base64!", "Realtime:ClientSecrets:SigningKeys:0 must be base64 of at least 16 bytes")]
    [InlineData("--Realtime:ClientSecrets:SigningKey=AAAAAAAAAAAAAAAAAAAAAA==", "Realtime:ClientSecrets:SigningKey is not a known setting")]
    public async Task Bad_settings_fail_at_startup_with_a_clear_message(string setting, string message)
    {
        WebApplication app = RealtimeServer.Build(["--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default=None", setting]);
        OptionsValidationException error = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync(TestContext.Current.CancellationToken));
        Assert.Contains(message, error.Message);
        await app.DisposeAsync();
    }

    [Fact]
    public void Https_url_without_certificate_fails_with_a_clear_message()
    {
        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => RealtimeServer.Build(["--urls", "https://127.0.0.1:0", "--Logging:LogLevel:Default=None"]));
        Assert.Contains("Kestrel:Certificates:Default:Path", error.Message);
    }

    [Theory]
    [InlineData("Vad", "builtin:whisper", "use builtin:silero or builtin:energy")]
    [InlineData("Transcription", "builtin:whisper", "use builtin:pocketsphinx")]
    [InlineData("Tts", "builtin:piper", "use builtin:espeak-ng")]
    public void Unknown_builtin_engine_fails_the_build_naming_the_key_before_any_engine_loads(string stage, string backend, string hint)
    {
        FormatException error = Assert.Throws<FormatException>(() => RealtimeServer.Build(
            ["--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default=None", $"--Realtime:Models:p:{stage}:Backend={backend}"]));
        Assert.Contains($"Realtime:Models:p:{stage}:Backend", error.Message);
        Assert.Contains(hint, error.Message);
    }
}
