using System.Globalization;
using System.Runtime.InteropServices;
using Samples.Common;

namespace Microsoft.ML.Lora.Bench;

/// <summary>Where the bench runs and where its data and results live.</summary>
internal static class BenchEnvironment
{
    public static string RepoRoot { get; } = SharedData.RepositoryRoot() ?? throw new DirectoryNotFoundException("Run the bench from inside the repository.");
    public static string ResultsFile => Path.Combine(RepoRoot, "bench", "RESULTS.md");
    public static string OutputFolder => Directory.CreateDirectory(Path.Combine(RepoRoot, "bench", "output")).FullName;

    /// <summary>The data folder given with <c>--data DIR</c> (laid out like ../shared/data), or null for the default.</summary>
    public static string? DataFolder { get; set; }

    public static string SentimentTrain => Data("twitter_financial_news_sentiment", "sent_train.csv");
    public static string SentimentValid => Data("twitter_financial_news_sentiment", "sent_valid.csv");
    public static string Wnut(string file) => Data("wnut17", file);
    public static string Squad(string file) => Data("squad11", file);
    public static string SecFilings(string file) => Data("sec_filings_fin", file);
    public static string Stsb(string file) => Data("stsb", file);

    private static string Data(string dataSet, string file) => SharedData.PathOf(dataSet, file, DataFolder, "--data DIR");

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
}
