namespace Realtime.Wire.Events;

/// <summary>Which spelling of the Realtime protocol a connection speaks (chosen at the upgrade).</summary>
public enum Dialect
{
    /// <summary>The current (GA) protocol; the default.</summary>
    Ga,

    /// <summary>The `realtime=v1` beta protocol (OpenAI-Beta header or the openai-beta.realtime-v1 subprotocol).</summary>
    Beta,
}
