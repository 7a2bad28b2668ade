using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Options;

namespace Realtime.Host.Tests.Operations;

public sealed class LimitsValidationTests
{
    [Theory]
    [InlineData("--Realtime:Limits:MaxConcurrentSessions=-1", "MaxConcurrentSessions, MaxSessionsPerApiKey and MaxEventsPerSecond must be 0 (unlimited) or positive; got -1, 0, 0")]
    [InlineData("--Realtime:Limits:MaxEventsPerSecond=-5", "got 1000, 0, -5")]
    [InlineData("--Realtime:Limits:DrainGracePeriodSeconds=-1", "Realtime:Limits:DrainGracePeriodSeconds must be between 0 and 3600; got -1")]
    [InlineData("--Realtime:Limits:MaxSessionsPerKey=3", "Realtime:Limits:MaxSessionsPerKey is not a known setting")]
    public async Task Bad_operation_limits_fail_at_startup_with_a_clear_message(string setting, string message)
    {
        WebApplication app = RealtimeServer.Build(["--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default=None", setting]);
        OptionsValidationException error = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync(TestContext.Current.CancellationToken));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        await app.DisposeAsync();
    }
}
