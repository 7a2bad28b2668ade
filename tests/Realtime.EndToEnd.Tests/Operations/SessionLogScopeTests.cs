using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Realtime.Host;

namespace Realtime.EndToEnd.Tests.Operations;

/// <summary>Every log line about a session carries its id in the scope; keys never reach the logs.</summary>
public sealed class SessionLogScopeTests
{
    private const string ClientKey = "sk-log-test-client-key-7a1c9e";
    private const string WrongKey = "sk-log-test-WRONG-key-55d2b0";
    private const string BackendKey = "sk-log-test-backend-key-0f3e81";

    [Fact]
    public async Task SessionLinesCarryTheSessionIdAndNoKeyIsLogged()
    {
        var capture = new CapturingLoggerProvider();
        WebApplication app = RealtimeServer.Build(
            [
                "--urls", "http://127.0.0.1:0",
                $"--Realtime:ApiKeys:0={ClientKey}",
                $"--Realtime:Backends:ApiKey={BackendKey}",
                // Nothing listens on port 1: every LLM call of this model fails.
                "--Realtime:Models:broken:Llm:Backend=http://127.0.0.1:1/v1",
                "--Logging:LogLevel:Default=Information",
                "--Logging:LogLevel:Microsoft=Warning",
                // Session open/close lines are Debug (not worth a line per session at the default level).
                "--Logging:LogLevel:Realtime.Host.Connections=Debug",
            ],
            builder => builder.Logging.AddProvider(capture));
        await app.StartAsync(TestContext.Current.CancellationToken);
        string wsBase = $"ws://{new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Authority}/v1";
        string sessionId;
        try
        {
            await RejectedConnectAsync(wsBase);
            await using (RealtimeSocket client = await RealtimeSocket.ConnectAsync(wsBase, ClientKey, "model=broken"))
            {
                sessionId = client.OfType("session.created").Single().GetProperty("session").GetProperty("id").GetString()!;
                await client.SendAsync("{\"type\":\"conversation.item.create\",\"item\":{\"type\":\"message\",\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"hello\"}]}}");
                await client.SendAsync("{\"type\":\"response.create\"}");
                JsonElement done = await client.WaitFor("response.done", timeoutMs: 120_000);
                Assert.Equal("failed", done.GetProperty("response").GetProperty("status").GetString());
            }

            // The close line is written after the server has finished the session; poll rather than sleep.
            for (int i = 0; i < 200 && !capture.Lines.Any(l => l.Message.Contains(" closed:", StringComparison.Ordinal)); i++)
            {
                await Task.Delay(25, TestContext.Current.CancellationToken);
            }
        }
        finally
        {
            await app.StopAsync(TestContext.Current.CancellationToken);
            await app.DisposeAsync();
        }

        CapturedLog[] lines = [.. capture.Lines];
        string all = string.Join("\n", lines.Select(l => l.AllText));
        CapturedLog opened = Assert.Single(lines, l => l.Message.StartsWith($"Session {sessionId} opened", StringComparison.Ordinal));
        CapturedLog failed = Assert.Single(lines, l => l.Message.Contains("failed in the llm backend", StringComparison.Ordinal));
        CapturedLog closed = Assert.Single(lines, l => l.Message.StartsWith($"Session {sessionId} closed", StringComparison.Ordinal));
        // The Engine's own line (another logger category, written on the session loop) is inside the same scope.
        Assert.Equal("Realtime.Engine.Sessions.RealtimeSession", failed.Category);
        foreach (CapturedLog line in new[] { opened, failed, closed })
        {
            Assert.Equal(sessionId, line.Scope.GetValueOrDefault("SessionId"));
            Assert.False(string.IsNullOrEmpty(line.Scope.GetValueOrDefault("ConnectionId")), "no ConnectionId in " + line.AllText);
        }

        CapturedLog rejected = Assert.Single(lines, l => l.Message.Contains("rejected, API key", StringComparison.Ordinal));
        Assert.False(rejected.Scope.ContainsKey("SessionId"), rejected.AllText);
        Assert.Equal(rejected.Message.Split(' ')[1].TrimEnd(':'), rejected.Scope["ConnectionId"]);

        // Every line logged while a session was open names it, whichever component wrote it.
        foreach (CapturedLog line in lines.Where(l => l.Message.Contains(sessionId, StringComparison.Ordinal)))
        {
            Assert.Equal(sessionId, line.Scope.GetValueOrDefault("SessionId"));
        }

        foreach (string secret in new[] { ClientKey, WrongKey, BackendKey })
        {
            Assert.DoesNotContain(secret, all, StringComparison.Ordinal);
        }
    }

    private static async Task RejectedConnectAsync(string wsBase)
    {
        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", "Bearer " + WrongKey);
        try
        {
            await socket.ConnectAsync(new Uri($"{wsBase}/realtime?model=gpt-realtime"), TestContext.Current.CancellationToken);
            while (await WebSocketJson.ReceiveAsync(socket, TestContext.Current.CancellationToken) is not null)
            {
            }
        }
        catch (WebSocketException)
        {
            // Refused before or during the upgrade: either way no session.
        }
    }
}
