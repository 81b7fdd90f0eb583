return InferenceMesh.Embedded.EmbeddedCli.Run(args);
