using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("InferenceMesh.Sim.Tests")]
[assembly: InternalsVisibleTo("InferenceMesh.Embedded")]
