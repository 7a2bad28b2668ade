using Realtime.Host;

RealtimeServer.Build(args).Run();
