using Microsoft.ML.OnnxRuntime;
using Realtime.Engine.Backends;

namespace Realtime.Engines.Local.Silero;

/// <summary>
/// Silero VAD v5 in-process through ONNX Runtime. One <see cref="InferenceSession"/> is shared by every stream
/// (Run is thread-safe); each stream owns its recurrent state, audio context and pre-bound tensors, so a frame
/// costs one native call and no managed allocation. <see cref="CreateBatch"/> runs many streams' frames as one
/// inference along the batch dimension; streams' <c>ProcessAsync</c> do so automatically through one shared
/// <see cref="SileroBatcher"/> when sessions speak at the same time.
/// </summary>
public sealed class SileroSpeechDetector : ISpeechDetector, IDisposable
{
    /// <summary>Where scripts/setup.sh places the model, relative to the repository / content root.</summary>
    public const string DefaultModelPath = "models/silero_vad_v5.onnx";

    /// <summary>Samples per frame at 16 kHz (32 ms).</summary>
    public const int FrameSize = 512;

    /// <summary>v5 expects the last 64 samples of the previous frame in front of each frame.</summary>
    public const int ContextSize = 64;

    /// <summary>Recurrent state: [2, batch, 128].</summary>
    public const int StateSize = 2 * StateWidth;

    internal const int StateWidth = 128;
    internal const int InputSize = ContextSize + FrameSize;
    internal const int SampleRate = 16_000;

    internal const string InputName = "input";
    internal const string StateName = "state";
    internal const string RateName = "sr";
    internal const string OutputName = "output";
    internal const string StateOutputName = "stateN";

    private readonly InferenceSession _session;
    private readonly Lazy<SileroBatcher> _batcher;

    public SileroSpeechDetector(string modelPath)
    {
        if (!File.Exists(modelPath))
        {
            throw new FileNotFoundException("Silero VAD model not found; run scripts/setup.sh or use builtin:energy.", modelPath);
        }

        using var options = new SessionOptions
        {
            // A 32 ms frame is tiny: extra threads only add synchronisation; parallelism comes from sessions/batches.
            IntraOpNumThreads = 1,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        // Recurrent state can decay towards denormals in long silences; flushing them guards against slow float paths.
        options.AddSessionConfigEntry("session.set_denormal_as_zero", "1");
        _session = new InferenceSession(modelPath, options);
        VerifyModel(_session);
        _batcher = new Lazy<SileroBatcher>(() => new SileroBatcher(this));
    }

    public string Name => "builtin:silero";

    public int FrameSamples => FrameSize;

    internal InferenceSession Session => _session;

    /// <summary>Shared by every stream's ProcessAsync: frames of sessions speaking at the same time run as one inference.</summary>
    internal SileroBatcher Batcher => _batcher.Value;

    public ISpeechDetectorStream OpenStream() => new SileroSpeechDetectorStream(this);

    /// <summary>A batch runner for up to <paramref name="capacity"/> streams of this detector per inference.</summary>
    public SileroBatch CreateBatch(int capacity) => new(this, capacity);

    public void Dispose()
    {
        if (_batcher.IsValueCreated)
        {
            _batcher.Value.Dispose();
        }

        _session.Dispose();
    }

    private static void VerifyModel(InferenceSession session)
    {
        var inputs = session.InputMetadata;
        var outputs = session.OutputMetadata;
        bool ok = inputs.TryGetValue(InputName, out var input) && input.Dimensions.Length == 2
            && inputs.TryGetValue(StateName, out var state) && state.Dimensions is [2, _, StateWidth]
            && inputs.ContainsKey(RateName)
            && outputs.ContainsKey(OutputName) && outputs.ContainsKey(StateOutputName);
        if (!ok)
        {
            throw new InvalidDataException(
                "Not a Silero VAD v5 model: expected inputs input[batch, samples], state[2, batch, 128], sr and outputs output, stateN; got "
                + string.Join(", ", inputs.Select(pair => $"{pair.Key}[{string.Join(",", pair.Value.Dimensions)}]")));
        }
    }
}
