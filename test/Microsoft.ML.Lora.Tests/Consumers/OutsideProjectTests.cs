using System.Diagnostics;
using System.Reflection;
using Microsoft.ML.Lora.Native;
using Microsoft.ML.Lora.Tests.Native;
using Xunit;
using Xunit.Abstractions;

namespace Microsoft.ML.Lora.Tests.Consumers;

/// <summary>
/// A user's own console project outside the repository, with nothing in its csproj but the references: it restores, builds
/// and runs a tiny Fit and prediction, as a ProjectReference to src/Microsoft.ML.Lora and as a PackageReference to the packed
/// library from a local feed. On Debian 12 / Ubuntu 22.04 this is what proves the TorchSharp load fix reaches every consumer:
/// the ProjectReference consumer imports none of the repository's build files, so only the library's run-time fix helps it.
/// Each test restores and builds a project (about a minute on 2 cores); trait Category=Consumer to run or skip them alone.
/// </summary>
[Trait("Category", "Consumer")]
public sealed class OutsideProjectTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(5);
    private static readonly string Configuration =
#if DEBUG
        "Debug";
#else
        "Release";
#endif

    private readonly TempFolder temp = new("lora-consumer-");

    public void Dispose() => temp.Dispose();

    // What a user writes after reading the README: labelled rows, the estimator, Fit, a PredictionEngine.
    private const string Program = """
        using Microsoft.ML;
        using Microsoft.ML.Lora;

        var ml = new MLContext(seed: 1);
        var rows = new[] { "profit rose", "record profit", "shares jumped", "loss widened", "shares fell", "profit warning" }
            .Select((text, i) => new Row { Text = text, Label = i < 3 ? "up" : "down" }).ToArray();
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.LoraFineTune(new LoraTextClassificationOptions
            {
                Sentence1ColumnName = "Text", LabelColumnName = "Label", Epochs = 1, BatchSize = 6,
            }))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedText", "PredictedLabel"));
        var model = pipeline.Fit(ml.Data.LoadFromEnumerable(rows));
        var engine = ml.Model.CreatePredictionEngine<Row, Prediction>(model);
        Console.WriteLine("PREDICTED " + engine.Predict(new Row { Text = "profit rose again" }).PredictedText);

        public sealed class Row { public string Text { get; set; } = ""; public string Label { get; set; } = ""; }
        public sealed class Prediction { public string PredictedText { get; set; } = ""; }
        """;

    [Fact]
    public void ProjectReferenceConsumerFitsAndPredicts_AndALoadFailureNamesItsCause()
    {
        string library = Path.Combine(TestData.RepoRoot, "src", "Microsoft.ML.Lora", "Microsoft.ML.Lora.csproj");
        var (bin, cache) = BuildAndFit(WriteConsumer("by-project", $"""<ProjectReference Include="{library}" />"""));

        // The build of a ProjectReference consumer leaves TorchSharp's file as the package has it; where this host's libstdc++
        // lacks the version, the library loaded its weakened copy from the cache folder.
        Assert.Equal(File.ReadAllBytes(TorchSharpPackageFiles.NativeLibrary()), File.ReadAllBytes(DeployedNativeLibrary(bin)));
        bool copyMade = Directory.Exists(cache) && Directory.EnumerateFiles(cache, "libLibTorchSharp.so", SearchOption.AllDirectories).Any();
        Assert.Equal(HostLacksGlibcxxVersion(), copyMade);

        if (HostLacksGlibcxxVersion())
        {
            // Without the fix the load fails: the library's message names the missing version and the libstdc++, not
            // TorchSharp's "doesn't contain a reference to libtorch-cpu-linux-x64".
            var refused = RunConsumer(bin, cache, (TorchNativeLibrary.DisableVariable, "1"));
            Assert.NotEqual(0, refused.ExitCode);
            Assert.Contains($"version `{GlibcxxVersionPatch.Version}' not found", refused.Output);
            Assert.Contains("libstdc++", refused.Output);
            Assert.Contains("Fix:", refused.Output);
            Assert.DoesNotContain("doesn't contain a reference", refused.Output);
        }

        // A missing libtorch (no backend package) is named as such, with the package to add.
        string libtorch = Path.Combine(Path.GetDirectoryName(DeployedNativeLibrary(bin))!, "libtorch.so");
        File.Move(libtorch, libtorch + ".hidden");
        var noBackend = RunConsumer(bin, cache);
        File.Move(libtorch + ".hidden", libtorch);
        Assert.NotEqual(0, noBackend.ExitCode);
        Assert.Contains("libtorch.so: cannot open shared object file", noBackend.Output);
        Assert.Contains("<PackageReference Include=\"TorchSharp-cpu\"", noBackend.Output);
    }

    [Fact]
    public void PackageReferenceConsumerOfTheLocalFeedFitsAndPredicts()
    {
        // A version no cache has seen, so the restore takes this build's package, not an older one of the same version.
        string version = $"0.1.0-consumer.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";
        string feed = temp["feed"];
        Dotnet(temp.Path, "pack", Path.Combine(TestData.RepoRoot, "src", "Microsoft.ML.Lora"), "-c", Configuration, "--no-build",
            "-o", feed, $"-p:PackageVersion={version}", $"-p:NuspecOutputPath={temp["nuspec"]}/");
        string project = WriteConsumer("by-package", $"""<PackageReference Include="Microsoft.ML.Lora" Version="{version}" />""");
        // The local feed plus the user's usual sources (this file adds, it does not clear).
        File.WriteAllText(Path.Combine(Path.GetDirectoryName(project)!, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="local-feed" value="{feed}" />
              </packageSources>
            </configuration>
            """);
        try
        {
            var (bin, cache) = BuildAndFit(project);

            // The package's buildTransitive targets patched the deployed copy at build time where this host needs it, so no
            // run-time copy was made.
            byte[] deployed = File.ReadAllBytes(DeployedNativeLibrary(bin));
            if (HostLacksGlibcxxVersion())
            {
                Assert.Equal(GlibcxxVersionPatch.Outcome.NotNeeded, GlibcxxVersionPatch.Apply(deployed, GlibcxxVersionPatch.Version, out _, out string reason));
                Assert.Contains("already a weak requirement", reason);
            }
            else Assert.Equal(File.ReadAllBytes(TorchSharpPackageFiles.NativeLibrary()), deployed);
            Assert.False(Directory.Exists(cache) && Directory.EnumerateFiles(cache, "*", SearchOption.AllDirectories).Any());
        }
        finally
        {
            // The restore extracted the one-off version into the global packages folder: leave no trace there.
            string extracted = Path.Combine(TorchSharpPackageFiles.GlobalPackagesFolder(), "microsoft.ml.lora", version);
            if (Directory.Exists(extracted)) Directory.Delete(extracted, recursive: true);
        }
    }

    /// <summary>Builds the consumer and runs it (with its own native cache folder): it must fit and predict.</summary>
    private (string Bin, string NativeCache) BuildAndFit(string project)
    {
        string build = Dotnet(temp.Path, "build", project, "-c", Configuration);
        Assert.DoesNotContain("warning NU", build);   // the library pins what its dependencies' unserved lower bounds would float
        string bin = OutputFolder(project), cache = temp["native-cache"];
        var run = RunConsumer(bin, cache);
        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Matches("PREDICTED (up|down)", run.Output);
        return (bin, cache);
    }

    private string WriteConsumer(string name, string libraryReference)
    {
        string folder = Directory.CreateDirectory(temp[name]).FullName;
        string torchSharp = typeof(OutsideProjectTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "TorchSharpVersion").Value!;
        string project = Path.Combine(folder, "Consumer.csproj");
        File.WriteAllText(project, $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
              </PropertyGroup>
              <ItemGroup>
                {libraryReference}
                <PackageReference Include="TorchSharp-cpu" Version="{torchSharp}" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(folder, "Program.cs"), Program);
        return project;
    }

    private static string OutputFolder(string project) => Path.Combine(Path.GetDirectoryName(project)!, "bin", Configuration, "net10.0");

    private static string DeployedNativeLibrary(string bin) => Path.Combine(bin, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");

    /// <summary>Whether the libstdc++ this process runs on lacks the version TorchSharp's native library asks for.</summary>
    private static bool HostLacksGlibcxxVersion()
    {
        TorchNativeLibrary.EnsureLoaded();   // maps the libstdc++ TorchSharp's native library runs on into this process
        string? libstdcxx = File.ReadLines("/proc/self/maps").Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries).Last())
            .FirstOrDefault(p => Path.GetFileName(p).StartsWith("libstdc++.so.6", StringComparison.Ordinal));
        Assert.NotNull(libstdcxx);   // TorchSharp is loaded in this process, so libstdc++ is mapped
        return !File.ReadAllText(libstdcxx, System.Text.Encoding.Latin1).Contains(GlibcxxVersionPatch.Version, StringComparison.Ordinal);
    }

    private (int ExitCode, string Output) RunConsumer(string bin, string nativeCache, params (string Name, string Value)[] environment)
    {
        var env = new List<(string, string)> { (TorchNativeLibrary.CacheFolderVariable, nativeCache) };
        env.AddRange(environment);
        return Run(temp.Path, [Path.Combine(bin, "Consumer.dll")], env);
    }

    private string Dotnet(string workingDirectory, params string[] args)
    {
        // Hard links instead of copies of libtorch's 1 GB (the files are never written to); no build servers left behind.
        string[] options = args[0] == "build" ? ["-p:CreateHardLinksForCopyLocalIfPossible=true", "--disable-build-servers", "-nodeReuse:false"] : ["--disable-build-servers"];
        var result = Run(workingDirectory, [.. args, .. options], []);
        Assert.True(result.ExitCode == 0, $"dotnet {string.Join(' ', args)} failed:\n{result.Output}");
        return result.Output;
    }

    private (int ExitCode, string Output) Run(string workingDirectory, string[] args, IEnumerable<(string Name, string Value)> environment)
    {
        var psi = new ProcessStartInfo(ChildProcess.DotnetHost()) { WorkingDirectory = workingDirectory };
        foreach (var a in args) psi.ArgumentList.Add(a);
        // The test host inherits `dotnet test`'s MSBuild settings; a child build must see a user's plain environment.
        foreach (var name in psi.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList())
            psi.Environment.Remove(name);
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (name, value) in environment) psi.Environment[name] = value;
        var clock = Stopwatch.StartNew();
        var (exitCode, stdout, stderr) = ChildProcess.Exec(psi, CommandTimeout);
        output.WriteLine($"dotnet {string.Join(' ', args)}: exit {exitCode} after {clock.Elapsed.TotalSeconds:F0} s");
        return (exitCode, stdout + stderr);
    }
}
