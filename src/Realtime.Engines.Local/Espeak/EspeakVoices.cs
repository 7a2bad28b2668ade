namespace Realtime.Engines.Local.Espeak;

/// <summary>Maps OpenAI voice names to espeak-ng voices with a variant, and speed to espeak's words per minute.</summary>
internal static class EspeakVoices
{
    public const string Default = "en-us+f3";

    /// <summary>espeak-ng's own default rate.</summary>
    public const int NormalWordsPerMinute = 175;

    public static string Resolve(string? voice) => voice?.ToUpperInvariant() switch
    {
        "ALLOY" => "en-us+f3",
        "ASH" => "en-us+m3",
        "BALLAD" => "en+m4",
        "CORAL" => "en-us+f4",
        "ECHO" => "en-us+m1",
        "SAGE" => "en+f2",
        "SHIMMER" => "en-us+f5",
        "VERSE" => "en+m2",
        "MARIN" => "en-us+f1",
        "CEDAR" => "en-us+m7",
        _ => Default,
    };

    /// <summary>Speed 0.25–1.5 scales the normal rate, within what espeak accepts (80–450).</summary>
    public static int WordsPerMinute(float speed)
    {
        var factor = float.IsFinite(speed) && speed > 0 ? speed : 1f;
        return Math.Clamp((int)MathF.Round(NormalWordsPerMinute * factor), 80, 450);
    }
}
