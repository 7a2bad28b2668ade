using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Options;

namespace Realtime.Host.Tests.Operations;

public sealed class LimitsValidationTests
{
    [Theory]
    [InlineData("--Realtime:Limits:MaxConcurrentSessions=-1", "MaxConcurrentSessions, MaxSessionsPerApiKey and MaxEventsPerSecond must be 0 (unlimited) or positive; got -1, 0, 0")]
    [InlineData("--Realtime:Limits:MaxEventsPerSecond=-5", "got 1000, 0, -5")]
    [InlineData("--Realtime:Limits:DrainGracePeriodSeconds=-1", "Realtime:Limits:DrainGracePeriodSeconds must be between 0 and 3600; got -1")]
    [InlineData("--Realtime:Limits:MaxConversationItems=0", "Realtime:Limits:MaxConversationItems must be between 1 and 1000000; got 0")]
    [InlineData("--Realtime:Limits:MaxConversationBytes=100", "Realtime:Limits:MaxConversationBytes must be between 1024 and 68719476736 (64 GiB); got 100")]
    [InlineData("--Realtime:Limits:MaxAppendBytes=20000000", "Realtime:Limits:MaxAppendBytes must be between 1 and 18873600 (its base64 must fit in MaxMessageBytes); got 20000000")]
    [InlineData("--Realtime:Limits:MaxBufferedAudioBytes=1000", "Realtime:Limits:MaxBufferedAudioBytes must be at least MaxAppendBytes (15728640), or no append of that size could be taken; got 1000")]
    [InlineData("--Realtime:Limits:MaxSessionsPerKey=3", "Realtime:Limits:MaxSessionsPerKey is not a known setting")]
    public async Task Bad_operation_limits_fail_at_startup_with_a_clear_message(string setting, string message)
    {
        WebApplication app = RealtimeServer.Build(["--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default=None", setting]);
        OptionsValidationException error = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync(TestContext.Current.CancellationToken));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        await app.DisposeAsync();
    }
}
