using System.Text.RegularExpressions;
using InferenceMesh.Deploy.Tests.Support;

namespace InferenceMesh.Deploy.Tests;

/// <summary>The service images cannot be built here (no Docker engine), so their Dockerfiles are checked statically.</summary>
public sealed partial class DockerfileTests
{
    public static TheoryData<string> Apps() => [.. Rendered.ServiceAppIds];

    [Theory]
    [MemberData(nameof(Apps))]
    public void Dockerfile_IsMultiStage_FromTheSdkToAChiseledOrDistrolessRuntime(string app)
    {
        var f = Dockerfile.Read(app);
        Assert.True(f.Stages.Count >= 2, $"{app}: expected a build stage and a runtime stage");
        Assert.StartsWith("mcr.microsoft.com/dotnet/sdk:10.0", f.Stages[0], StringComparison.Ordinal);
        var runtime = f.Stages[^1];
        Assert.True(
            runtime.Contains("chiseled", StringComparison.Ordinal) || runtime.Contains("distroless", StringComparison.Ordinal),
            $"{app}: runtime image '{runtime}' is neither chiseled nor distroless");
        Assert.Matches(@"^mcr\.microsoft\.com/dotnet/(aspnet|runtime-deps|runtime):10\.0", runtime);
        // The runtime stage copies the published output from the build stage, never builds itself.
        Assert.Contains(f.Final("COPY"), c => c.Args.StartsWith("--from=build", StringComparison.Ordinal));
        Assert.Empty(f.Final("RUN"));
    }

    [Theory]
    [MemberData(nameof(Apps))]
    public void Dockerfile_RunsAsTheNonRootAppUser(string app)
    {
        var user = Dockerfile.Read(app).Final("USER").Last().Args;
        Assert.True(user is "1654" or "app" or "$APP_UID", $"{app}: USER {user} is not the chiseled image's non-root app user");
    }

    [Theory]
    [MemberData(nameof(Apps))]
    public void Dockerfile_BuildsTheServiceProject_AndStartsItsDll(string app)
    {
        var f = Dockerfile.Read(app);
        var csprojs = f.Instructions.Where(i => i.Keyword == "RUN")
            .SelectMany(i => CsprojPath().Matches(i.Args).Select(m => m.Value)).Distinct(StringComparer.Ordinal).ToList();
        var csproj = Assert.Single(csprojs);
        Assert.StartsWith($"services/{app}/", csproj, StringComparison.Ordinal);
        Assert.True(File.Exists(RepoPaths.Path(csproj.Split('/'))), $"{csproj} does not exist");
        Assert.Equal(["dotnet", Path.GetFileNameWithoutExtension(csproj) + ".dll"], f.Entrypoint);
        // Everything the build needs is copied: shared settings, libs, the service folder.
        var copies = string.Join('\n', f.Instructions.Where(i => i.Keyword == "COPY" && i.Stage == 0).Select(i => i.Args));
        foreach (var needed in new[] { "Directory.Build.props", "Directory.Packages.props", "global.json", "libs/", $"services/{app}/" })
            Assert.Contains(needed, copies, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Apps))]
    public void Dockerfile_BuildContext_HoldsEveryProjectTheServiceReferences(string app)
    {
        // The build stage copies only the settings, libs/ and services/<app>/: every project reachable through
        // ProjectReference must live there, or the image build fails where no test can see it.
        var copied = Dockerfile.Read(app).Instructions.Where(i => i.Keyword == "COPY" && i.Stage == 0)
            .Select(i => i.Args.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0].TrimEnd('/'))
            .Select(p => Path.GetFullPath(RepoPaths.Path(p.Split('/'))))
            .ToList();
        var csproj = Dockerfile.Read(app).Instructions.Where(i => i.Keyword == "RUN")
            .Select(i => CsprojPath().Match(i.Args)).First(m => m.Success).Value;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<string>([Path.GetFullPath(RepoPaths.Path(csproj.Split('/')))]);
        while (pending.TryPop(out var project))
        {
            if (!seen.Add(project))
                continue;
            Assert.True(File.Exists(project), $"{app}: referenced project {RepoPaths.Relative(project)} does not exist");
            Assert.True(copied.Any(c => project.StartsWith(c + Path.DirectorySeparatorChar, StringComparison.Ordinal)),
                $"{app}: {RepoPaths.Relative(project)} is outside the Dockerfile's COPY set");
            var xml = System.Xml.Linq.XDocument.Load(project);
            foreach (var reference in xml.Descendants("ProjectReference"))
            {
                var include = reference.Attribute("Include")!.Value.Replace('\\', '/');
                pending.Push(Path.GetFullPath(Path.Combine(Path.GetDirectoryName(project)!, include)));
            }
        }
        Assert.Contains(seen, p => p.Contains($"{Path.DirectorySeparatorChar}libs{Path.DirectorySeparatorChar}", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("deploy/k8s/overlays/dev")]
    [InlineData("deploy/k8s/overlays/ha")]
    public async Task Overlays_RunPinnedServiceImages(string overlay)
    {
        var docs = await Rendered.Of(overlay);
        foreach (var app in Rendered.ServiceAppIds)
        {
            var image = docs.Single("Deployment", app).Container(app).Str("image")!;
            Assert.StartsWith($"ghcr.io/inference-mesh/{app}:", image, StringComparison.Ordinal);
            Assert.DoesNotMatch(":latest$", image);
        }
    }

    [Theory]
    [MemberData(nameof(Apps))]
    public void Dockerfile_CarriesNoSecrets(string app)
    {
        foreach (var i in Dockerfile.Read(app).Instructions.Where(i => i.Keyword is "ENV" or "ARG" or "LABEL"))
            Assert.DoesNotMatch(SecretLike(), i.Args);
    }

    [Fact]
    public void DockerIgnore_KeepsBuildOutputGitAndTestsOutOfTheContext()
    {
        var lines = File.ReadAllLines(RepoPaths.Path(".dockerignore")).Select(l => l.Trim()).ToHashSet(StringComparer.Ordinal);
        foreach (var required in new[] { ".git", "**/bin", "**/obj", "tests/" })
            Assert.Contains(required, lines);
        // The build needs these; ignoring them would break every image.
        foreach (var needed in new[] { "libs/", "services/", "Directory.Build.props", "Directory.Packages.props", "global.json" })
            Assert.DoesNotContain(needed, lines);
    }

    [Fact]
    public void Parser_JoinsContinuationLines_AndTracksStages()
    {
        var path = Path.Combine(Path.GetTempPath(), $"Dockerfile-{Guid.NewGuid():N}");
        File.WriteAllText(path, "FROM a AS build\nRUN x \\\n  y\nFROM b\nENV A=1 \\\n    B=2\nEXPOSE 1 2/tcp\n");
        try
        {
            var f = Dockerfile.Parse(path);
            Assert.Equal(["a AS build", "b"], f.Stages);
            Assert.Equal("2", f.Env("B"));
            Assert.Equal(new SortedSet<int> { 1, 2 }, f.ExposedPorts);
            Assert.Equal("x y", f.Instructions.Single(i => i.Keyword == "RUN").Args);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [GeneratedRegex(@"services/[a-z-]+/[A-Za-z.]+\.csproj")]
    private static partial Regex CsprojPath();

    [GeneratedRegex(@"(?i)(password|secret|token|apikey|api_key)\s*=")]
    private static partial Regex SecretLike();
}
