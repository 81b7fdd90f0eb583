return InferenceMesh.Bench.Cli.BenchCli.Run(args);
