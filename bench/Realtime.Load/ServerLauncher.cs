namespace Realtime.Load;

/// <summary>Starts the server under test as a child process, configured for the chosen backend.</summary>
public sealed class ServerLauncher(LoadOptions options, string repoRoot, InstantBackendHost? backend)
{
    public string Describe(string target) => target switch
    {
        "ours" => Path.GetRelativePath(repoRoot, OursProgram),
        "baseline" => Path.GetRelativePath(repoRoot, BaselineProgram),
        "stock" => Path.GetRelativePath(repoRoot, StockProgram),
        "ours-instant" => Path.GetRelativePath(repoRoot, OursProgram) + " (instant gRPC backend for STT, LLM, TTS)",
        _ => target,
    };

    private string OursProgram => options.ServerBinary ?? Path.Combine(repoRoot, "src/Realtime.Host/bin/Release/net10.0/realtime-fast.dll");

    private string BaselineProgram => options.BaselineBinary ?? Path.Combine(repoRoot, "bench/Realtime.Baseline/bin/Release/net10.0/Realtime.Baseline.dll");

    private string StockProgram => Path.Combine(repoRoot, "bench/Realtime.Stock/bin/Release/net10.0/Realtime.Stock.dll");

    private string SileroModel => Path.Combine(repoRoot, "models/silero_vad_v5.onnx");

    /// <summary>The started server, or null for an external url target (no /proc figures then).</summary>
    public async Task<ServerProcess?> StartAsync(string target)
    {
        if (target == "stock")
        {
            // Default logging: its own appsettings.json (the template's levels), found through its content root as
            // `dotnet run` in its folder would find it; from the repository root it would log every request.
            return await ServerProcess.StartAsync(StockProgram, [$"--Stock:ApiKey={options.ApiKey}", $"--contentRoot={Path.GetDirectoryName(StockProgram)}"], repoRoot);
        }

        if (target is "ours" or "ours-instant")
        {
            var args = new List<string>
            {
                $"--Realtime:ApiKeys:0={options.ApiKey}",
                "--Realtime:Diagnostics:Enabled=true",
                "--Realtime:Limits:MaxConcurrentSessions=30000",
                $"--Realtime:Engines:SileroModelPath={SileroModel}",
            };
            if (!options.Overhead)
            {
                args.Add("--Logging:LogLevel:Default=Warning");
            }
            else
            {
                // Its own appsettings.json (default logging, scopes on), as `scripts/run.sh` starts it.
                args.Add($"--contentRoot={Path.GetDirectoryName(Path.GetFullPath(OursProgram))}");
            }

            // Overhead runs: "ours" is the default profile (built-in engines), as `scripts/run.sh` starts it, with
            // default logging; "ours-instant" points every stage at the tool's instant gRPC backend.
            if (backend is not null && (target == "ours-instant" || !options.Overhead))
            {
                foreach (string stage in new[] { "Llm", "Transcription", "Tts" })
                {
                    args.Add($"--Realtime:Models:load:{stage}:Backend={backend.Uri}");
                    args.Add($"--Realtime:Models:load:{stage}:Model=instant");
                }

                args.Add($"--Realtime:Models:load:Vad:Backend=builtin:{options.Vad}");
                // The instant backend serves calls concurrently (the baseline does not queue them either).
                args.Add($"--Realtime:Backends:MaxConcurrency={options.BackendConcurrency}");
                args.Add("--Realtime:DefaultModel=load");
            }

            return await ServerProcess.StartAsync(OursProgram, args, repoRoot);
        }

        if (target == "baseline")
        {
            if (backend is null)
            {
                throw new InvalidOperationException("the baseline gateway has no built-in engines; use --backend instant");
            }

            return await ServerProcess.StartAsync(BaselineProgram, [$"--Baseline:ApiKey={options.ApiKey}", $"--Baseline:Backend={backend.Uri}", $"--Baseline:SileroModelPath={SileroModel}", $"--Baseline:Vad={options.Vad}", "--Logging:LogLevel:Default=Warning"], repoRoot);
        }

        return null;
    }
}
