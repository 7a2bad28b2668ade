using System.Buffers;
using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Realtime.Wire.Events;

namespace Realtime.Benchmarks.Events;

/// <summary>input_audio_buffer.append parse + base64 decode: the single-pass reader vs JsonDocument + Convert.FromBase64String.</summary>
[MemoryDiagnoser]
public class AppendParseBenchmarks
{
    private readonly ClientEventReader _reader = new(Dialect.Ga);
    private readonly ClientEvent _event = new();
    private byte[] _json = [];
    private ReadOnlySequence<byte> _sequence;

    /// <summary>Milliseconds of 24 kHz PCM16 in the append.</summary>
    [Params(20, 100)]
    public int Milliseconds { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        byte[] audio = new byte[Milliseconds * 48];
        new Random(1).NextBytes(audio);
        _json = Encoding.UTF8.GetBytes($"{{\"type\":\"input_audio_buffer.append\",\"event_id\":\"event_123\",\"audio\":\"{Convert.ToBase64String(audio)}\"}}");
        _sequence = new ReadOnlySequence<byte>(_json);
        _reader.TryRead(_sequence, _event, out _);
    }

    [Benchmark(Baseline = true)]
    public int JsonDocumentAndConvert()
    {
        using JsonDocument document = JsonDocument.Parse(_json);
        JsonElement root = document.RootElement;
        _ = root.GetProperty("type").GetString();
        _ = root.GetProperty("event_id").GetString();
        return Convert.FromBase64String(root.GetProperty("audio").GetString()!).Length;
    }

    [Benchmark]
    public int ClientEventReader()
    {
        _reader.TryRead(_sequence, _event, out _);
        return _event.AudioLength;
    }
}
