namespace Realtime.Engine.Sessions;

internal enum SessionMessageKind { Open, ClientText, ClientBinary, Closed, ChatDelta, Audio, ResponseFinished, ResponseFailed, Transcript, TranscriptFailed, Expired, PortAudio, PortCommand }
