using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.ML.Lora.Native;
using Microsoft.ML.Lora.QuestionAnswering;

namespace Microsoft.ML.Lora.Bench;

/// <summary>
/// Extractive question answering (SQuAD v1.1) with the embedded all-MiniLM-L6-v2: LoRA against full fine-tuning, trained on
/// a seeded sample of the squad11 train subset and evaluated on the whole dev half (4,961 questions, official EM/F1). Each
/// configuration runs in a child process of the bench, so that its peak resident memory is its own.
/// </summary>
internal static class QaBench
{
    private sealed record Config(string Name, string Method, double LearningRate, FineTuningMethod FineTuning);

    // Why these settings: span extraction reads every token, so LoRA adapts every linear layer (r = 16, alpha 32, ~1.3 M
    // parameters) at 2e-3, some 20x full fine-tuning's 1e-4 (MiniLM, a small model, takes more than BERT-base's 3e-5).
    // 3,000 questions (a quarter of the subset, drawn with seed 1) in windows of 256 tokens (MiniLM's trained length) with
    // Hugging Face's stride of 128, 2 epochs, batch 16: sized to train in well under 45 minutes on 2 cores.
    private static readonly Config[] Configs =
    {
        new("lora", "LoRA r=16 all-linear", 2e-3, FineTuningMethod.Lora(new LoraOptions { Rank = 16, Alpha = 32, Dropout = 0.1, TargetAllLinear = true })),
        new("full", "full fine-tuning", 1e-4, FineTuningMethod.Full),
    };

    private const string Usage = "--train-questions N (default 3000), --limit N (questions per file), --epochs N (2), --max-length N (256), --stride N (128), --batch-size N (16), --threads N, --precision fp32|bf16 (fp32), --only lora,full";
    private const int DefaultQuestions = 3000, DefaultEpochs = 2, DefaultMaxLength = 256, DefaultStride = 128, DefaultBatch = 16;
    private static readonly string[] Forwarded = { "train-questions", "limit", "epochs", "max-length", "stride", "batch-size", "threads", "precision" };

    public sealed record Result(string Config, string Method, string Precision, int TrainQuestions, int TrainWindows, int TestQuestions, int Epochs, int MaxLength, int Stride,
        double ExactMatch, double F1, double TrainSeconds, double TrainWindowsPerSecond, double ScoringQuestionsPerSecond, long PeakRssBytes, long TrainableParameters);

    /// <summary>
    /// <c>qa [options]</c>: every configuration in a child process, then the table (recorded in RESULTS.md only for a run with the
    /// documented settings). <c>qa --one NAME [options]</c>: one configuration, here; its result is the last stdout line, as JSON.
    /// </summary>
    public static int Run(string[] args)
    {
        var options = BenchArgs.Parse(args, Usage);
        if (options.String("one") is { } one) return RunOne(Find(one), options);

        var names = options.String("only")?.Split(',') ?? Configs.Select(c => c.Name).ToArray();
        var results = new List<Result>();
        foreach (var name in names)
        {
            Find(name);
            Console.WriteLine($"\n=== {name} (child process) ===");
            results.Add(ChildRun.Bench(new[] { "qa", "--one", name }.Concat(options.Forward(Forwarded)).ToArray()).Deserialize<Result>()!);
        }

        var table = new ResultTable("Question answering (all-MiniLM-L6-v2, SQuAD v1.1): LoRA vs full",
            "config", "method", "precision", "trainable params", "train questions (windows)", "epochs", "window / stride", "EM", "F1",
            "train time", "train windows/s", "scoring questions/s", "peak RSS");
        foreach (var r in results)
            table.Add(r.Config, r.Method, r.Precision, r.TrainableParameters.ToString("N0", CultureInfo.InvariantCulture), $"{r.TrainQuestions:N0} ({r.TrainWindows:N0})",
                r.Epochs, $"{r.MaxLength} / {r.Stride}", Math.Round(r.ExactMatch, 2), Math.Round(r.F1, 2),
                TimeSpan.FromSeconds(r.TrainSeconds).ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture), r.TrainWindowsPerSecond, r.ScoringQuestionsPerSecond,
                $"{r.PeakRssBytes / (1024.0 * 1024 * 1024):0.00} GiB");
        table.Note($"Train: {DefaultQuestions:N0} questions drawn with seed 1 from squad11/train-subset-44articles.json (11,877 questions, 44 articles); test: all of squad11/dev-v1.1-halfA-24articles.json "
            + "(4,961 questions, 1–6 reference answers), scored with the official v1.1 EM and F1 (best over the references). A window is [CLS] question [SEP] context part [SEP]; "
            + "windows without the answer train on [CLS]; answers: n-best 20, at most 30 tokens. Batch 16 windows, AdamW, warmup 10% then linear decay, seed 1. "
            + "Train windows/s counts every window of every epoch; scoring questions/s is Transform + evaluation of the dev half on the trained model. "
            + "Each configuration runs in its own process (peak RSS is per configuration).");
        bool partial = Forwarded.Where(n => n != "precision").Any(options.Has) || options.Has("only");   // either precision is a documented run
        if (partial)
        {
            table.Print();
            Console.WriteLine("\n(partial run: not recorded in RESULTS.md)");
        }
        else table.Record("qa");
        return 0;
    }

    private static int RunOne(Config config, BenchArgs options)
    {
        int limit = options.Int("limit") ?? int.MaxValue;
        int questions = options.Int("train-questions") ?? DefaultQuestions;
        int epochs = options.Int("epochs") ?? DefaultEpochs;
        int maxLength = options.Int("max-length") ?? DefaultMaxLength;
        int stride = options.Int("stride") ?? DefaultStride;
        string precisionName = options.String("precision") ?? "fp32";
        var precision = BenchArgs.ParsePrecision(precisionName);
        var wall = Stopwatch.StartNew();
        var ml = new MLContext(seed: 1);
        var rng = new Random(1);
        var train = SquadReader.Read(BenchEnvironment.Squad("train-subset-44articles.json")).Take(limit).OrderBy(_ => rng.Next()).Take(questions).ToArray();
        var test = SquadReader.Read(BenchEnvironment.Squad("dev-v1.1-halfA-24articles.json")).Take(limit).ToArray();
        Console.WriteLine($"{config.Name}: {config.Method}, {precisionName}, {train.Length} training and {test.Length} test questions, {epochs} epochs, windows {maxLength} / stride {stride}, lr {config.LearningRate}");

        var estimator = ml.Transforms.LoraFineTune(new LoraQuestionAnsweringOptions
        {
            Method = config.FineTuning, MaxSequenceLength = maxLength, DocumentStride = stride, MaxQuestionLength = Math.Min(64, maxLength / 4),
            Epochs = epochs, BatchSize = options.Int("batch-size") ?? DefaultBatch, LearningRate = config.LearningRate, WarmupFraction = 0.1,
            Seed = 1, NumberOfThreads = options.Int("threads"), Precision = precision, Progress = new ConsoleProgress(),
        });
        var trainClock = Stopwatch.StartNew();
        var model = estimator.Fit(ml.Data.LoadFromEnumerable(train));
        double trainSeconds = trainClock.Elapsed.TotalSeconds;
        int windows = WindowCount(train, maxLength, stride, Math.Min(64, maxLength / 4));

        var scoreClock = Stopwatch.StartNew();
        var metrics = ml.MulticlassClassification.EvaluateQuestionAnswering(model.Transform(ml.Data.LoadFromEnumerable(test)));
        double scoreSeconds = scoreClock.Elapsed.TotalSeconds;
        Console.WriteLine($"{config.Name}: {metrics}");

        var result = new Result(config.Name, config.Method, precisionName, train.Length, windows, test.Length, epochs, maxLength, stride, metrics.ExactMatch, metrics.F1,
            trainSeconds, (double)windows * epochs / trainSeconds, test.Length / scoreSeconds, TorchRuntime.PeakResidentBytes(), model.Parameters.Trainable);
        Console.WriteLine(JsonSerializer.Serialize(result));   // the parent reads this last JSON line (ChildRun)
        return 0;
    }

    /// <summary>How many windows the training questions make: what one epoch trains on.</summary>
    private static int WindowCount(IEnumerable<SquadQuestion> questions, int maxLength, int stride, int maxQuestionLength)
    {
        var tokenizer = PretrainedModel.MiniLmL6V2.LoadTokenizer();
        return questions.Sum(q => DocumentWindows.Split(QuestionAnsweringRows.Encode(tokenizer, 0, q.Context, q.Question, maxQuestionLength, out _),
            maxLength, stride, tokenizer.ClsId, tokenizer.SepId).Count);
    }

    private static Config Find(string name) => Configs.FirstOrDefault(c => c.Name == name)
        ?? throw new ArgumentException($"Unknown configuration '{name}'; expected one of {string.Join(", ", Configs.Select(c => c.Name))}.");
}
