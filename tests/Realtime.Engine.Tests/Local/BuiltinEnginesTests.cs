using Realtime.Engine.Backends;
using Realtime.Engine.Backends.Local;

namespace Realtime.Engine.Tests.Local;

public sealed class BuiltinEnginesTests
{
    [Fact]
    public void InstalledEnginesAreReady()
    {
        using var engines = new BuiltinEngines(new PocketSphinxOptions { DecoderCount = 1 });

        Assert.Equal("builtin:pocketsphinx", engines.Recognizer?.Name);
        Assert.Null(engines.RecognizerUnavailableReason);
        Assert.Equal("builtin:espeak-ng", engines.Synthesizer?.Name);
        Assert.Null(engines.SynthesizerUnavailableReason);
        Assert.Equal("builtin:echo", engines.ChatModel.Name);
    }

    [Fact]
    public void MissingModelIsReportedWithItsReason()
    {
        using var engines = new BuiltinEngines(new PocketSphinxOptions { ModelDirectory = "/nonexistent/model", DecoderCount = 1 });

        Assert.Null(engines.Recognizer);
        Assert.Contains("/nonexistent/model", engines.RecognizerUnavailableReason, StringComparison.Ordinal);
        Assert.NotNull(engines.Synthesizer);
    }
}
