namespace Realtime.Host.Tests.Telephony;

/// <summary>A bad `Realtime:Telephony` setting stops the start with a message naming the key.</summary>
public sealed class TelephonySettingsTests
{
    [Theory]
    [InlineData("--Realtime:Telephony:ToolWebhook=ftp://tools.example/run", "Realtime:Telephony:ToolWebhook must be an absolute http(s) URL")]
    [InlineData("--Realtime:Telephony:ToolTimeoutMs=fast", "Realtime:Telephony:ToolTimeoutMs must be a whole number")]
    [InlineData("--Realtime:Telephony:Tools:0:Description=no name", "Realtime:Telephony:Tools:0:Name is required")]
    [InlineData("--Realtime:Telephony:Tools:0:Name=end_call", "'end_call' is the built-in tool")]
    public void BadSettingsStopTheStart(string setting, string message)
    {
        var e = Assert.Throws<InvalidOperationException>(() => RealtimeServer.Build(["--urls", "http://127.0.0.1:0", setting]));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ToolParametersMustBeAJsonSchemaObject()
    {
        var e = Assert.Throws<InvalidOperationException>(() => RealtimeServer.Build(
            ["--urls", "http://127.0.0.1:0", "--Realtime:Telephony:Tools:0:Name=lookup", "--Realtime:Telephony:Tools:0:Parameters={not json"]));
        Assert.Contains("Realtime:Telephony:Tools:0:Parameters is not valid JSON", e.Message, StringComparison.Ordinal);
    }
}
