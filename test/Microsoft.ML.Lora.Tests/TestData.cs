namespace Microsoft.ML.Lora.Tests;

/// <summary>Where the tests find the real data sets: the copies the repository ships with the samples and the bench.</summary>
internal static class TestData
{
    private static readonly Lazy<string> LazyRepoRoot = new(FindRepoRoot);

    /// <summary>The repository root (the folder holding build.props).</summary>
    public static string RepoRoot => LazyRepoRoot.Value;

    /// <summary>Financial news sentiment, CSV text,label (train 9,543 rows).</summary>
    public static string SentimentTrain => Path.Combine(RepoRoot, "samples", "SentimentAnalyst", "data", "sent_train.csv");

    /// <summary>Financial news sentiment, CSV text,label (valid 2,388 rows).</summary>
    public static string SentimentValid => Path.Combine(RepoRoot, "samples", "SentimentAnalyst", "data", "sent_valid.csv");

    /// <summary>A data file by the folder names of shared/data ("sec_filings_fin", "wnut17", "twitter_financial_news_sentiment").</summary>
    public static string PathOf(params string[] parts)
    {
        string folder = parts[0] switch
        {
            "sec_filings_fin" => Path.Combine(RepoRoot, "samples", "Ner", "data"),
            "wnut17" => Path.Combine(RepoRoot, "bench", "data", "wnut17"),
            "twitter_financial_news_sentiment" => Path.Combine(RepoRoot, "samples", "SentimentAnalyst", "data"),
            _ => throw new ArgumentException($"Unknown data set '{parts[0]}'.", nameof(parts)),
        };
        return Path.Combine([folder, .. parts[1..]]);
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "build.props"))) return dir.FullName;
        throw new DirectoryNotFoundException($"No build.props in {AppContext.BaseDirectory} or above: the tests run from inside the repository.");
    }
}
