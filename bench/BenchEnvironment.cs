using System.Globalization;
using System.Runtime.InteropServices;

namespace Microsoft.ML.Lora.Bench;

/// <summary>Where the bench runs and where its data and results live.</summary>
internal static class BenchEnvironment
{
    public static string RepoRoot { get; } = FindRepoRoot();
    public static string ResultsFile => Path.Combine(RepoRoot, "bench", "RESULTS.md");
    public static string OutputFolder => Directory.CreateDirectory(Path.Combine(RepoRoot, "bench", "output")).FullName;
    public static string SentimentTrain => Path.Combine(RepoRoot, "samples", "SentimentAnalyst", "data", "sent_train.csv");
    public static string SentimentValid => Path.Combine(RepoRoot, "samples", "SentimentAnalyst", "data", "sent_valid.csv");
    public static string Wnut(string file) => Path.Combine(RepoRoot, "bench", "data", "wnut17", file);
    public static string SecFilings(string file) => Path.Combine(RepoRoot, "samples", "Ner", "data", file);

    public static string Machine()
    {
        string cpu = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name"))?.Split(':', 2)[1].Trim() ?? "unknown CPU"
            : RuntimeInformation.ProcessArchitecture.ToString();
        string os = File.Exists("/etc/os-release")
            ? File.ReadLines("/etc/os-release").FirstOrDefault(l => l.StartsWith("PRETTY_NAME="))?.Split('=', 2)[1].Trim('"') ?? RuntimeInformation.OSDescription
            : RuntimeInformation.OSDescription;
        long memKb = File.Exists("/proc/meminfo")
            ? long.Parse(File.ReadLines("/proc/meminfo").First().Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) : 0;
        return $"{os}, {Environment.ProcessorCount} cores ({cpu}), {memKb / 1024 / 1024.0:F0} GiB, .NET {Environment.Version}, no GPU use";
    }

    public static string Today => DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "build.props"))) return dir.FullName;
        throw new DirectoryNotFoundException("Run the bench from inside the repository.");
    }
}
