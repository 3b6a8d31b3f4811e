using Microsoft.ML.Lora;
using Samples.Common;

namespace Ner;

/// <summary>What a run of the sample does, from the command line; the defaults train on the SEC-filings set in ../shared/data.</summary>
public sealed record NerSettings
{
    /// <summary>The options that take a value.</summary>
    public static readonly string[] ValueOptions =
        ["data", "test", "scheme", "test-scheme", "base-model", "epochs", "batch-size", "learning-rate", "lora-rank", "precision", "device", "output", "limit", "seed"];

    /// <summary>The command-line help.</summary>
    public const string Usage = """
        Ner: fine-tune a sentence encoder with LoRA to find entities (people, organisations, places, ...), evaluate it with
        entity-level F1, save it and extract entities from new sentences with the saved model.

        With no arguments it trains on the SEC-filings set in ../shared/data beside the repository
        (sec_filings_fin/FIN5.txt, tested on FIN3.txt; IO tags converted to IOB2) with the embedded all-MiniLM-L6-v2.

        Options:
          --data FILE            training data in CoNLL format: token in the first column, tag in the last, a blank line
                                 between sentences, -DOCSTART- lines skipped (default: FIN5.txt of ../shared/data)
          --test FILE            test data, same format (default: FIN3.txt when training on the default data; with
                                 --data and no --test, 20% of the --data sentences are held out)
          --scheme S             tag scheme of the training file, converted to IOB2: iob2, io, iob1, bioes or auto
                                 (default: auto, detected from the file's tags)
          --test-scheme S        tag scheme of the test file, same choices (default: auto)
          --base-model FOLDER    a local Hugging Face BERT/RoBERTa/DistilBERT folder (default: the embedded MiniLM)
          --epochs N             passes over the training data (default: 5)
          --batch-size N         sentences per step (default: 16)
          --learning-rate X      peak learning rate (default: 0.001)
          --lora-rank N          LoRA rank r on every Linear of the encoder (default: 16; alpha = 2r)
          --precision bf16|fp32  number format: mixed bfloat16 (about 2.5x faster on CPUs with AVX-512 BF16 or AMX
                                 and on recent GPUs) or float32 (default: bf16)
          --device cpu|cuda|auto where to train (default: auto)
          --output DIR           where model.zip, the adapter and the charts go (default: samples/Ner/output)
          --limit N              use only the first N sentences of each file: a quick smoke run
          --seed N               seed of the split, the initialisation and the shuffling (default: 42)
          --help                 this text
        """;

    /// <summary>Training file (CoNLL).</summary>
    public required string DataFile { get; init; }
    /// <summary>Test file, or null to hold out part of <see cref="DataFile"/>.</summary>
    public string? TestFile { get; init; }
    /// <summary>Tag scheme of the training file, or null to detect it from the tags.</summary>
    public TagScheme? Scheme { get; init; }
    /// <summary>Tag scheme of the test file, or null to detect it from the tags.</summary>
    public TagScheme? TestScheme { get; init; }
    /// <summary>The encoder to fine-tune.</summary>
    public PretrainedModel BaseModel { get; init; } = PretrainedModel.MiniLmL6V2;
    /// <summary>Number format of training and scoring.</summary>
    public Precision Precision { get; init; } = Precision.BFloat16;
    /// <summary>Passes over the training data.</summary>
    public int Epochs { get; init; } = 5;
    /// <summary>Sentences per optimizer step.</summary>
    public int BatchSize { get; init; } = 16;
    /// <summary>Peak learning rate.</summary>
    public double LearningRate { get; init; } = 1e-3;
    /// <summary>LoRA rank.</summary>
    public int LoraRank { get; init; } = 16;
    /// <summary>Where to train.</summary>
    public ComputeDevice Device { get; init; } = ComputeDevice.Auto;
    /// <summary>Output folder.</summary>
    public required string OutputFolder { get; init; }
    /// <summary>Sentences per file for a smoke run, or null for all.</summary>
    public int? Limit { get; init; }
    /// <summary>Seed of everything random.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Reads the settings from a parsed command line.</summary>
    /// <exception cref="UsageException">A value is malformed or a file or folder does not exist.</exception>
    public static NerSettings From(CommandLine cl)
    {
        var data = cl.ExistingFile("data");
        var test = cl.ExistingFile("test");
        var defaults = new NerSettings { DataFile = "", OutputFolder = "" };
        return new NerSettings
        {
            DataFile = data ?? SharedData.PathOf(DefaultDataSet, "FIN5.txt", alternative: "--data FILE"),
            // --test alone evaluates the model trained on the default data on another file.
            TestFile = test ?? (data is null ? SharedData.PathOf(DefaultDataSet, "FIN3.txt", alternative: "--test FILE") : null),
            Scheme = ParseScheme(cl, "scheme"),
            TestScheme = ParseScheme(cl, "test-scheme"),
            BaseModel = cl.ExistingFolder("base-model") is { } folder ? PretrainedModel.FromHuggingFaceFolder(folder) : defaults.BaseModel,
            Epochs = cl.Int("epochs", 1) ?? defaults.Epochs,
            BatchSize = cl.Int("batch-size", 1) ?? defaults.BatchSize,
            LearningRate = cl.Double("learning-rate", 1) ?? defaults.LearningRate,
            LoraRank = cl.Int("lora-rank", 1) ?? defaults.LoraRank,
            Precision = cl.Precision("precision"),
            Device = cl.Device("device"),
            OutputFolder = cl.String("output") is { } output ? Path.GetFullPath(output) : SampleFolders.DefaultOutput(),
            Limit = cl.Int("limit", 2),
            Seed = cl.Int("seed", 0) ?? defaults.Seed,
        };
    }

    /// <summary>The default data set's folder in ../shared/data.</summary>
    private const string DefaultDataSet = "sec_filings_fin";

    private static TagScheme? ParseScheme(CommandLine cl, string option) => cl.String(option)?.ToLowerInvariant() switch
    {
        null or "auto" => null,
        "iob2" or "bio" => TagScheme.Iob2,
        "io" => TagScheme.Io,
        "iob1" or "iob" => TagScheme.Iob1,
        "bioes" or "iobes" => TagScheme.Bioes,
        var other => throw new UsageException($"--{option} must be iob2, io, iob1, bioes or auto, got '{other}'"),
    };
}
