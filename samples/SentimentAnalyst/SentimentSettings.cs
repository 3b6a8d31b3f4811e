using Microsoft.ML.Lora;
using Samples.Common;

namespace SentimentAnalyst;

/// <summary>What a run of the sample does, from the command line; the defaults train on the financial news set in ../shared/data.</summary>
public sealed record SentimentSettings
{
    /// <summary>The options that take a value.</summary>
    public static readonly string[] ValueOptions =
    [
        "data", "test", "text-column", "label-column", "label-names", "base-model", "epochs", "batch-size", "learning-rate",
        "lora-rank", "max-length", "precision", "device", "output", "limit", "seed",
    ];

    /// <summary>The command-line help.</summary>
    public const string Usage = """
        SentimentAnalyst: fine-tune a sentence encoder with LoRA to tell bullish, bearish and neutral finance text apart,
        calibrate its probabilities, evaluate it, save it and score a few analyst-style sentences with the saved model.

        With no arguments it trains on the Twitter financial news set in ../shared/data beside the repository
        (twitter_financial_news_sentiment/sent_train.csv, tested on sent_valid.csv) with the embedded all-MiniLM-L6-v2.

        Options:
          --data FILE            training data: CSV or TSV with a header line (default: sent_train.csv of ../shared/data)
          --test FILE            test data, same columns; without it a stratified 20% of --data is held out
                                 (alone: train on the default data, test on FILE; its labels may be names or 0/1/2)
          --text-column NAME     column with the text (default: text)
          --label-column NAME    column with the label, names or numbers (default: label)
          --label-names MAP      display names for label values, e.g. 0=Bearish,1=Bullish,2=Neutral
                                 (default: that map for the default data, none for yours)
          --base-model FOLDER    a local Hugging Face BERT/RoBERTa/DistilBERT folder (default: the embedded MiniLM)
          --epochs N             passes over the training data (default: 2)
          --batch-size N         examples per step (default: 32)
          --learning-rate X      peak learning rate (default: 0.002)
          --lora-rank N          LoRA rank r (default: 8; alpha = 2r)
          --max-length N         longest input in tokens; longer texts are truncated (default: 96)
          --precision bf16|fp32  number format: mixed bfloat16 (about 2.5x faster on CPUs with AVX-512 BF16 or AMX
                                 and on recent GPUs) or float32 (default: bf16)
          --device cpu|cuda|auto where to train (default: auto)
          --output DIR           where model.zip, the adapter and the charts go (default: samples/SentimentAnalyst/output)
          --limit N              use only about N rows of each file (a stratified sample): a quick smoke run
          --seed N               seed of the splits, the initialisation and the shuffling (default: 42)
          --help                 this text
        """;

    private const string DefaultLabelNames = "0=Bearish,1=Bullish,2=Neutral";

    /// <summary>The default data set's folder in ../shared/data.</summary>
    private const string DefaultDataSet = "twitter_financial_news_sentiment";

    /// <summary>Training file.</summary>
    public required string DataFile { get; init; }
    /// <summary>Test file, or null to hold out part of <see cref="DataFile"/>.</summary>
    public string? TestFile { get; init; }
    /// <summary>Text column name in the files.</summary>
    public string TextColumn { get; init; } = "text";
    /// <summary>Label column name in the files.</summary>
    public string LabelColumn { get; init; } = "label";
    /// <summary>Display names of label values (value → name); values not in the map keep their own text.</summary>
    public IReadOnlyDictionary<string, string> LabelNames { get; init; } = new Dictionary<string, string>();
    /// <summary>The encoder to fine-tune.</summary>
    public PretrainedModel BaseModel { get; init; } = PretrainedModel.MiniLmL6V2;
    /// <summary>Passes over the training data.</summary>
    public int Epochs { get; init; } = 2;
    /// <summary>Examples per optimizer step.</summary>
    public int BatchSize { get; init; } = 32;
    /// <summary>Peak learning rate.</summary>
    public double LearningRate { get; init; } = 2e-3;
    /// <summary>LoRA rank.</summary>
    public int LoraRank { get; init; } = 8;
    /// <summary>Longest input in tokens.</summary>
    public int MaxLength { get; init; } = 96;
    /// <summary>Number format of training and scoring.</summary>
    public Precision Precision { get; init; } = Precision.BFloat16;
    /// <summary>Where to train.</summary>
    public ComputeDevice Device { get; init; } = ComputeDevice.Auto;
    /// <summary>Output folder.</summary>
    public required string OutputFolder { get; init; }
    /// <summary>Rows per file for a smoke run, or null for all.</summary>
    public int? Limit { get; init; }
    /// <summary>Seed of everything random.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Reads the settings from a parsed command line.</summary>
    /// <exception cref="UsageException">A value is malformed or a file or folder does not exist.</exception>
    public static SentimentSettings From(CommandLine cl)
    {
        var data = cl.ExistingFile("data");
        var test = cl.ExistingFile("test");
        var defaults = new SentimentSettings { DataFile = "", OutputFolder = "" };
        return new SentimentSettings
        {
            DataFile = data ?? SharedData.PathOf(DefaultDataSet, "sent_train.csv", alternative: "--data FILE"),
            // The default training data comes with its own test file; --test alone replaces it.
            TestFile = test ?? (data is null ? SharedData.PathOf(DefaultDataSet, "sent_valid.csv", alternative: "--test FILE") : null),
            TextColumn = cl.String("text-column") ?? defaults.TextColumn,
            LabelColumn = cl.String("label-column") ?? defaults.LabelColumn,
            LabelNames = ParseLabelNames(cl.String("label-names") ?? (data is null ? DefaultLabelNames : "")),
            BaseModel = cl.ExistingFolder("base-model") is { } folder ? PretrainedModel.FromHuggingFaceFolder(folder) : defaults.BaseModel,
            Epochs = cl.Int("epochs", 1) ?? defaults.Epochs,
            BatchSize = cl.Int("batch-size", 1) ?? defaults.BatchSize,
            LearningRate = cl.Double("learning-rate", 1) ?? defaults.LearningRate,
            LoraRank = cl.Int("lora-rank", 1) ?? defaults.LoraRank,
            MaxLength = cl.Int("max-length", 3) ?? defaults.MaxLength,
            Precision = cl.Precision("precision"),
            Device = cl.Device("device"),
            OutputFolder = cl.String("output") is { } output ? Path.GetFullPath(output) : SampleFolders.DefaultOutput(),
            Limit = cl.Int("limit", 2),
            Seed = cl.Int("seed", 0) ?? defaults.Seed,
        };
    }

    private static Dictionary<string, string> ParseLabelNames(string map)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in map.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = pair.Split('=', 2, StringSplitOptions.TrimEntries);
            if (parts.Length != 2 || parts[0].Length == 0 || parts[1].Length == 0)
                throw new UsageException($"--label-names: expected VALUE=NAME pairs separated by commas, got '{pair}'");
            if (!result.TryAdd(parts[0], parts[1])) throw new UsageException($"--label-names: value '{parts[0]}' is named twice");
        }
        return result;
    }
}
