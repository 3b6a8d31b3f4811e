using Samples.Common;

namespace SentimentAnalyst.Backtest;

/// <summary>What a <c>--backtest</c> run does, from the command line.</summary>
public sealed record BacktestSettings
{
    /// <summary>The option that selects the back-test; its value (the StockNet folder) is optional.</summary>
    public const string Option = "backtest";

    /// <summary>Options with a value that only the back-test takes.</summary>
    public static readonly string[] ValueOptions = ["model"];

    /// <summary>Switches that only the back-test takes.</summary>
    public static readonly string[] Flags = ["rescore"];

    /// <summary>Options whose value may be left out.</summary>
    public static readonly string[] OptionalValueOptions = [Option];

    /// <summary>The training options the back-test shares (the rest are refused with --backtest).</summary>
    private static readonly string[] SharedOptions = ["output"];

    /// <summary>The command-line help of the back-test.</summary>
    public const string Usage = """

        Back-test (does the model's sentiment of tweets about a stock say anything about the stock's next returns?):
          --backtest [FOLDER]    a StockNet-shaped folder: tweets.csv (ticker,file_date,created_at_utc,text) and
                                 prices.csv (ticker,date,...,adj_close,...) (default: ../shared/data/stocknet beside
                                 the repository)
          --model FILE           the sentiment model.zip with Bullish and Bearish classes
                                 (default: samples/SentimentAnalyst/output/model.zip, what a training run saves)
          --output DIR           where the charts and the tweets' scores go (default: samples/SentimentAnalyst/output/backtest);
                                 a second run with the same model.zip reuses the scores
          --rescore              score every tweet again instead of reusing the scores of an earlier run
        """;

    /// <summary>The StockNet folder.</summary>
    public required string Folder { get; init; }

    /// <summary>The model.zip.</summary>
    public required string ModelPath { get; init; }

    /// <summary>Where the charts and the score cache go.</summary>
    public required string OutputFolder { get; init; }

    /// <summary>Score every text again rather than reuse the cached scores.</summary>
    public bool Rescore { get; init; }

    /// <summary>True when the command line asks for a back-test; false otherwise, after checking that no back-test-only option was given.</summary>
    /// <exception cref="UsageException">A back-test option without <c>--backtest</c>.</exception>
    public static bool Requested(CommandLine cl)
    {
        if (cl.Has(Option)) return true;
        if (ValueOptions.Concat(Flags).FirstOrDefault(cl.Has) is { } stray) throw new UsageException($"--{stray} applies to --{Option} only");
        return false;
    }

    /// <summary>Reads the settings from a command line with <c>--backtest</c>.</summary>
    /// <exception cref="UsageException">A training option, or a folder or model that does not exist.</exception>
    public static BacktestSettings From(CommandLine cl, IEnumerable<string> trainingOptions)
    {
        if (trainingOptions.Except(SharedOptions).FirstOrDefault(cl.Has) is { } training)
            throw new UsageException($"--{training} is a training option; --{Option} scores tweets with a saved model (see --help)");
        string folder = cl.String(Option) is { } given ? Path.GetFullPath(given) : DefaultFolder();
        if (!Directory.Exists(folder)) throw new UsageException($"--{Option}: folder not found: {folder}");
        string output = cl.String("output") is { } o ? Path.GetFullPath(o) : SampleFolders.DefaultOutput();
        string model = cl.ExistingFile("model") ?? Path.Combine(SampleFolders.DefaultOutput(), "model.zip");
        if (!File.Exists(model))
            throw new UsageException($"no model at {model}: train one first (dotnet run -c Release --project samples/SentimentAnalyst) or pass --model FILE");
        return new BacktestSettings
        {
            Folder = folder, ModelPath = model, OutputFolder = cl.Has("output") ? output : Path.Combine(output, "backtest"), Rescore = cl.Has("rescore"),
        };
    }

    /// <summary>stocknet in the shared data folder (../shared/data beside the repository, or $LORA_DATA_DIR).</summary>
    private static string DefaultFolder()
    {
        string? data = SharedData.DefaultFolder();
        string folder = data is null ? Path.Combine("..", "shared", "data", "stocknet") : Path.Combine(data, "stocknet");
        if (!Directory.Exists(folder))
            throw new UsageException($"--{Option}: no folder given and the default {Path.GetFullPath(folder)} does not exist; pass --{Option} FOLDER (a folder with tweets.csv and prices.csv) or set {SharedData.FolderVariable}");
        return Path.GetFullPath(folder);
    }
}
