namespace Realtime.Host.Engines;

/// <summary>
/// Loads the profiles' engines (Silero, pocketsphinx decoders, espeak-ng: a few hundred milliseconds) on a
/// background thread when the host starts, so Kestrel listens at once instead of after them. Sessions wait for it
/// before they start; `/readyz` says not ready until it is done. An engine that cannot load stops the process, as a
/// failed synchronous start did, with the reason logged.
/// </summary>
public sealed class EngineWarmup(ProfileEngineResolver resolver, IHostApplicationLifetime lifetime, ILogger<EngineWarmup> logger) : IHostedService
{
    private readonly TaskCompletionSource _loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile string? _failure;

    /// <summary>Completes (never faults) when loading has finished, well or not.</summary>
    public Task Loaded => _loaded.Task;

    /// <summary>Engines are loaded and usable.</summary>
    public bool IsReady => _loaded.Task.IsCompleted && _failure is null;

    /// <summary>Why loading failed, or null.</summary>
    public string? Failure => _failure;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = Task.Run(Load, CancellationToken.None);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private void Load()
    {
        try
        {
            resolver.Load();
        }
        catch (Exception e)
        {
            _failure = e.Message;
            logger.LogCritical(e, "Engines failed to load: {Reason}; stopping", e.Message);
            Environment.ExitCode = 1;
            lifetime.StopApplication();
        }
        finally
        {
            _loaded.TrySetResult();
        }
    }
}
