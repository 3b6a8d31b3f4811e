using Microsoft.ML.Lora;
using Samples.Common;

namespace QuestionAnswering;

/// <summary>What a run of the sample does, from the command line; the defaults train on the SQuAD v1.1 subset in ../shared/data.</summary>
public sealed record QaSettings
{
    /// <summary>The options that take a value.</summary>
    public static readonly string[] ValueOptions =
        ["data", "test", "model", "train-questions", "base-model", "epochs", "batch-size", "learning-rate", "lora-rank", "max-length", "stride",
         "device", "output", "limit", "seed"];

    /// <summary>The data set folder in ../shared/data.</summary>
    public const string DataSet = "squad11";

    /// <summary>The command-line help.</summary>
    public const string Usage = """
        QuestionAnswering: fine-tune a sentence encoder with LoRA for extractive question answering (SQuAD v1.1), evaluate it
        with the official exact match and F1, save it, and answer questions about an analyst's paragraph with the saved model.

        With no arguments it trains on 2,000 questions of the SQuAD v1.1 train subset in ../shared/data beside the repository
        (squad11/train-subset-44articles.json) with the embedded all-MiniLM-L6-v2 and evaluates on the dev half
        (squad11/dev-v1.1-halfA-24articles.json, 4,961 questions, 1-6 reference answers each).

        Options:
          --data FILE             training data in SQuAD v1.1 JSON (default: the squad11 train subset of ../shared/data)
          --test FILE             evaluation data in SQuAD v1.1 JSON, with reference answers (default: the squad11 dev half)
          --model ZIP             skip training: evaluate and answer with a model.zip this sample saved before
          --train-questions N     train on N questions drawn at random (seeded) from the training data (default: 2000; 0 = all)
          --base-model FOLDER     a local Hugging Face BERT/RoBERTa/DistilBERT folder (default: the embedded MiniLM)
          --epochs N              passes over the training windows (default: 2)
          --batch-size N          windows per step (default: 16)
          --learning-rate X       peak learning rate (default: 0.002)
          --lora-rank N           LoRA rank r on every Linear of the encoder (default: 16; alpha = 2r)
          --max-length N          tokens per window, question and context together (default: 256)
          --stride N              context tokens shared by consecutive windows of a long paragraph (default: 128)
          --device cpu|cuda|auto  where to train (default: auto)
          --output DIR            where model.zip, the adapter and the charts go (default: samples/QuestionAnswering/output)
          --limit N               use only the first N questions of each file: a quick smoke run
          --seed N                seed of the sampling, the initialisation and the shuffling (default: 42)
          --help                  this text
        """;

    /// <summary>Training file (SQuAD JSON).</summary>
    public required string DataFile { get; init; }
    /// <summary>Evaluation file (SQuAD JSON).</summary>
    public required string TestFile { get; init; }
    /// <summary>A saved model to use instead of training, or null to train.</summary>
    public string? ModelFile { get; init; }
    /// <summary>Questions drawn from the training data, or null for all.</summary>
    public int? TrainQuestions { get; init; } = 2000;
    /// <summary>The encoder to fine-tune.</summary>
    public PretrainedModel BaseModel { get; init; } = PretrainedModel.MiniLmL6V2;
    /// <summary>Passes over the training windows.</summary>
    public int Epochs { get; init; } = 2;
    /// <summary>Windows per optimizer step.</summary>
    public int BatchSize { get; init; } = 16;
    /// <summary>Peak learning rate.</summary>
    public double LearningRate { get; init; } = 2e-3;
    /// <summary>LoRA rank.</summary>
    public int LoraRank { get; init; } = 16;
    /// <summary>Tokens per window.</summary>
    public int MaxLength { get; init; } = 256;
    /// <summary>Context tokens shared by consecutive windows.</summary>
    public int Stride { get; init; } = 128;
    /// <summary>Where to train.</summary>
    public ComputeDevice Device { get; init; } = ComputeDevice.Auto;
    /// <summary>Output folder.</summary>
    public required string OutputFolder { get; init; }
    /// <summary>Questions per file for a smoke run, or null for all.</summary>
    public int? Limit { get; init; }
    /// <summary>Seed of everything random.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Reads the settings from a parsed command line.</summary>
    /// <exception cref="UsageException">A value is malformed or a file or folder does not exist.</exception>
    public static QaSettings From(CommandLine cl)
    {
        var defaults = new QaSettings { DataFile = "", TestFile = "", OutputFolder = "" };
        int? trainQuestions = cl.Int("train-questions", 0) is { } n ? (n == 0 ? null : n) : defaults.TrainQuestions;
        return new QaSettings
        {
            DataFile = cl.ExistingFile("data") ?? SharedData.PathOf(DataSet, "train-subset-44articles.json", alternative: "--data FILE"),
            TestFile = cl.ExistingFile("test") ?? SharedData.PathOf(DataSet, "dev-v1.1-halfA-24articles.json", alternative: "--test FILE"),
            ModelFile = cl.ExistingFile("model"),
            TrainQuestions = trainQuestions,
            BaseModel = cl.ExistingFolder("base-model") is { } folder ? PretrainedModel.FromHuggingFaceFolder(folder) : defaults.BaseModel,
            Epochs = cl.Int("epochs", 1) ?? defaults.Epochs,
            BatchSize = cl.Int("batch-size", 1) ?? defaults.BatchSize,
            LearningRate = cl.Double("learning-rate", 1) ?? defaults.LearningRate,
            LoraRank = cl.Int("lora-rank", 1) ?? defaults.LoraRank,
            MaxLength = cl.Int("max-length", 16) ?? defaults.MaxLength,
            Stride = cl.Int("stride", 0) ?? defaults.Stride,
            Device = cl.Device("device"),
            OutputFolder = cl.String("output") is { } output ? Path.GetFullPath(output) : SampleFolders.DefaultOutput(),
            Limit = cl.Int("limit", 1),
            Seed = cl.Int("seed", 0) ?? defaults.Seed,
        };
    }
}
