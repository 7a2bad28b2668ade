using Realtime.Host;
using Realtime.Host.BackendMode;

if (BackendModeServer.IsRequested(args))
{
    BackendModeServer.Build(args[1..]).Run();
}
else
{
    RealtimeServer.BuildProcess(args).Run();
}
