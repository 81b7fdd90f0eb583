using InferenceMesh.VllmSim.Cli;

return await SimCli.CreateRootCommand().Parse(args).InvokeAsync().ConfigureAwait(false);
