namespace Realtime.Engine.Profiles;

/// <summary>One stage of a profile: which backend serves it (`builtin:NAME`, `grpc://…`, `http(s)://…/v1`) and the model name to ask it for.</summary>
public sealed class StageOptions
{
    public string? Backend { get; set; }

    public string? Model { get; set; }
}
