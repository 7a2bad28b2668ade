namespace Realtime.EndToEnd.Tests;

/// <summary>The official Node clients, unchanged, against the real server (the scripts assert the exact event sequences).</summary>
[Collection(ServerCollection.Name)]
public sealed class NodeClientTests(ServerFixture server)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(240);

    [Fact]
    public async Task OpenAiNodeGaClientOverWss()
    {
        (int code, string output) = await NodeScript.RunAsync("openai-ga.mjs", $"https://{server.Https.Authority}/v1", ServerFixture.ApiKey, Timeout);
        Assert.True(code == 0, output);
        Assert.Contains("PASS", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RawWsBetaDialect()
    {
        (int code, string output) = await NodeScript.RunAsync("beta-ws.mjs", server.WsBase, ServerFixture.ApiKey, Timeout);
        Assert.True(code == 0, output);
        Assert.Contains("PASS", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AgentsRealtimeSessionTextToolAndInterrupt()
    {
        (int code, string output) = await NodeScript.RunAsync("agents-realtime.mjs", server.WsBase, ServerFixture.ApiKey, Timeout);
        Assert.True(code == 0, output);
        Assert.Contains("PASS", output, StringComparison.Ordinal);
    }
}
