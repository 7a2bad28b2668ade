using BenchmarkDotNet.Attributes;
using Realtime.Engine.Audio;
using Realtime.Engine.TurnDetection;
using Realtime.Engines.Local.Silero;
using Realtime.Wire.Audio;

namespace Realtime.Benchmarks.Audio;

/// <summary>
/// What one input_audio_buffer.append of 40 ms costs after base64: decode + resample to 16 kHz + VAD frames.
/// Baseline is the conversion alone; allocation must be 0 B in both.
/// </summary>
[MemoryDiagnoser]
public class InputPipelineBenchmarks
{
    private readonly List<TurnEvent> _events = new(64);
    private byte[] _audio = null!;
    private float[] _samples = null!;
    private InputAudioConverter _converter = null!;
    private SileroSpeechDetector _detector = null!;
    private TurnDetector _turns = null!;
    private int _offset;

    [GlobalSetup]
    public void Setup()
    {
        _audio = File.ReadAllBytes(BenchmarkPaths.Fixture("two_turns.wav"))[44..];
        _samples = new float[InputAudioConverter.MaxOutputSamples(1920, AudioFormat.Pcm16)];
        _converter = new InputAudioConverter(AudioFormat.Pcm16);
        _detector = new SileroSpeechDetector(BenchmarkPaths.SileroModel);
        _turns = new TurnDetector(_detector, new TurnDetectionSettings());
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _turns.Dispose();
        _detector.Dispose();
    }

    [Benchmark(Baseline = true, Description = "40 ms append: convert")]
    public int Convert() => _converter.Convert(NextChunk(), _samples);

    [Benchmark(Description = "40 ms append: convert + Silero turn detection")]
    public int ConvertAndDetect()
    {
        int written = _converter.Convert(NextChunk(), _samples);
        _turns.Process(_samples.AsSpan(0, written), _events);
        _events.Clear();
        return written;
    }

    private ReadOnlySpan<byte> NextChunk()
    {
        if (_offset + 1920 > _audio.Length)
        {
            _offset = 0;
        }

        var chunk = _audio.AsSpan(_offset, 1920);
        _offset += 1920;
        return chunk;
    }
}
