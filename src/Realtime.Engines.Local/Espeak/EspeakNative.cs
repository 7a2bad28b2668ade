using System.Runtime.InteropServices;

namespace Realtime.Engines.Local.Espeak;

/// <summary>libespeak-ng.so.1 bindings; the library keeps global state, so every call comes from one thread.</summary>
internal static unsafe partial class EspeakNative
{
    private const string Library = NativeLibraries.Espeak;

    /// <summary>AUDIO_OUTPUT_SYNCHRONOUS: espeak_Synth returns after the whole text went through the callback.</summary>
    internal const int OutputSynchronous = 2;

    /// <summary>espeakINITIALIZE_DONT_EXIT: report errors instead of calling exit().</summary>
    internal const int InitializeDontExit = 0x8000;

    internal const uint CharsUtf8 = 1;
    internal const int PositionCharacter = 1;
    internal const int ParameterRate = 1;
    internal const int ParameterVolume = 2;

    /// <summary>Returns the sample rate, or a negative value on failure.</summary>
    [LibraryImport(Library, EntryPoint = "espeak_Initialize")]
    internal static partial int Initialize(int output, int bufferMilliseconds, byte* path, int options);

    [LibraryImport(Library, EntryPoint = "espeak_SetSynthCallback")]
    internal static partial void SetSynthCallback(delegate* unmanaged<short*, int, nint, int> callback);

    [LibraryImport(Library, EntryPoint = "espeak_SetVoiceByName")]
    internal static partial int SetVoiceByName(byte* name);

    [LibraryImport(Library, EntryPoint = "espeak_SetParameter")]
    internal static partial int SetParameter(int parameter, int value, int relative);

    [LibraryImport(Library, EntryPoint = "espeak_Synth")]
    internal static partial int Synth(
        byte* text, nuint size, uint position, int positionType, uint endPosition, uint flags, uint* uniqueIdentifier, nint userData);
}
