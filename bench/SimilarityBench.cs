using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.ML.Lora.Native;

namespace Microsoft.ML.Lora.Bench;

/// <summary>
/// Sentence similarity on the STS Benchmark with the embedded all-MiniLM-L6-v2 as a cross-encoder: LoRA, full fine-tuning
/// and head-only, trained on sts-train (5,749 pairs) for a fixed number of epochs and scored on sts-dev (1,500 pairs):
/// Spearman and Pearson correlation (STS-B's metrics) and MSE. Each configuration runs in a child process of the bench,
/// so that its peak resident memory is its own.
/// </summary>
internal static class SimilarityBench
{
    private sealed record Config(string Name, string Method, double LearningRate, int Epochs, Func<BenchArgs, FineTuningMethod> FineTuning, bool? MeanPooling = null);

    private static FineTuningMethod Lora(BenchArgs a) => FineTuningMethod.Lora(new LoraOptions
    {
        Rank = a.Int("rank") ?? 16, Alpha = a.Int("alpha") ?? 32, Dropout = a.Double("dropout") ?? 0.1, TargetAllLinear = a.Bool("all-linear") ?? true,
    });

    // Why these settings: see "Sentence similarity: what was tried" in RESULTS.md. Every run trains its fixed
    // epochs; the dev set is scored after each epoch (a validation set changes nothing in training: same batches, same
    // dropout), and the number reported is the last epoch's, so nothing is selected on the dev set.
    private static readonly Config[] Configs =
    {
        new("lora", "LoRA r=16 all-linear", 1e-3, 4, Lora),
        // The same LoRA with Hugging Face's head on [CLS] and the (trained) pooler: what the mean-of-tokens default replaced.
        new("lora-cls", "LoRA r=16 all-linear, head on [CLS] + pooler", 1e-3, 4, Lora, MeanPooling: false),
        new("full", "full fine-tuning", 1e-4, 4, _ => FineTuningMethod.Full),
        new("head", "head only (the regressor)", 2e-3, 4, _ => FineTuningMethod.HeadOnly),
    };

    private const string Usage = "--only a,b, --limit N (training pairs, spread over the file), --dev-limit N, --epochs N, --lr X, --batch N, --threads N, --rank N, --alpha N, "
        + "--dropout X, --precision fp32|bf16, --all-linear true|false, --mean-pooling true|false, --pooler true|false, --track-dev false (score dev only at the end), "
        + "--both-orders true (train on every pair as (a, b) and (b, a), as sentence-transformers' cross-encoder STS-B example does), "
        + "--record true (record a run with overrides in RESULTS.md, with its command line)";

    private static readonly string[] Forwarded = { "limit", "dev-limit", "epochs", "lr", "batch", "threads", "rank", "alpha", "dropout", "all-linear", "mean-pooling", "pooler", "track-dev", "precision", "both-orders" };

    public sealed class Pair
    {
        public string Sentence1 { get; set; } = "";
        public string Sentence2 { get; set; } = "";
        public float Label { get; set; }
    }

    /// <summary>One configuration's result. <c>Spearman</c> is the last epoch's (no selection); Pearson and MSE are the kept
    /// epoch's (the best dev epoch, when the dev set is tracked), which <c>BestEpoch</c> names.</summary>
    public sealed record Result(string Config, string Method, string Settings, int TrainPairs, int DevPairs, int Epochs, int BestEpoch, double LearningRate,
        double Spearman, double Pearson, double Mse, double[] EpochLosses, double?[] DevSpearmanByEpoch, double TrainSeconds, double TrainPairsPerSecond,
        double ScoringPairsPerSecond, long PeakRssBytes, long TrainableParameters, double ZipMiB);

    /// <summary>
    /// <c>similarity [options]</c>: every configuration (or <c>--only</c>) in a child process, then the table, recorded in
    /// RESULTS.md for a run with no overrides. <c>similarity --one NAME [options]</c>: one configuration, here; its result is
    /// the last stdout line, as JSON.
    /// </summary>
    public static int Run(string[] args)
    {
        var options = BenchArgs.Parse(args, Usage);
        if (options.String("one") is { } one) return RunOne(Find(one), options);

        var results = new List<Result>();
        foreach (var name in options.String("only")?.Split(',') ?? Configs.Select(c => c.Name).ToArray())
        {
            Find(name);
            Console.WriteLine($"\n=== {name} (child process) ===");
            results.Add(ChildRun.Bench(new[] { "similarity", "--one", name }.Concat(options.Forward(Forwarded)).ToArray()).Deserialize<Result>()!);
        }

        var table = new ResultTable("Sentence similarity (STS-B, all-MiniLM-L6-v2 cross-encoder): LoRA vs full vs head-only",
            "config", "method", "trainable params", "train / dev pairs", "epochs", "lr", "dev Spearman", "dev Pearson (kept epoch)", "dev MSE (kept epoch)", "train time", "train pairs/s",
            "scoring pairs/s", "peak RSS", "model.zip");
        foreach (var r in results)
            table.Add(r.Config, r.Method + (r.Settings.Length > 0 ? $" ({r.Settings})" : ""), r.TrainableParameters.ToString("N0", CultureInfo.InvariantCulture),
                $"{r.TrainPairs.ToString("N0", CultureInfo.InvariantCulture)} / {r.DevPairs.ToString("N0", CultureInfo.InvariantCulture)}", r.Epochs, r.LearningRate.ToString("0.#####", CultureInfo.InvariantCulture), r.Spearman, $"{r.Pearson:0.###} ({r.BestEpoch})", $"{r.Mse:0.###} ({r.BestEpoch})",
                TimeSpan.FromSeconds(r.TrainSeconds).ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture), r.TrainPairsPerSecond, r.ScoringPairsPerSecond,
                $"{r.PeakRssBytes / (1024.0 * 1024 * 1024):0.00} GiB", $"{r.ZipMiB:0.0} MiB");
        foreach (var r in results)
            table.Note($"{r.Config}: train loss by epoch {string.Join(", ", r.EpochLosses.Select(l => l.ToString("0.0000", CultureInfo.InvariantCulture)))}"
                + (r.DevSpearmanByEpoch.Any(s => s is not null) ? $"; dev Spearman by epoch {string.Join(", ", r.DevSpearmanByEpoch.Select(s => s?.ToString("0.0000", CultureInfo.InvariantCulture)))}" : "") + ".");
        table.Note($"Goal: LoRA dev Spearman ≥ 0.86. Published cross-encoders on STS-B (test, not dev): TinyBERT-L4 0.855, distilroberta-base 0.879. "
            + "Head: the regressor on the mean of the pair's tokens (MeanPooling, automatic on the embedded model) unless --mean-pooling false. "
            + "Training: sts-train (or the --limit pairs spread over it), fixed epochs, batch 32, AdamW with linear warmup (6%) and decay, max 128 tokens per pair, MSE on the standardised score; "
            + "dev Spearman is the last epoch's (nothing selected on sts-dev); the dev set is scored after every epoch, the kept epoch (in brackets) is the best of those, and Pearson and MSE are its. "
            + "Train time includes scoring the dev set after each epoch. Each configuration in its own process (peak RSS is its own). "
            + "Times are provisional: the machine was shared with other developers' builds and tests during the run.");
        if (options.Int("threads") is { } threads) table.Note($"libtorch intra-op threads: {threads} (--threads).");
        bool partial = Forwarded.Where(n => n != "threads").Any(options.Has) || options.Has("only");
        if (partial && options.Bool("record") != true)
        {
            table.Print();
            Console.WriteLine("\n(partial or overridden run: not recorded in RESULTS.md; --record true records it with its command line)");
        }
        else table.Record(string.Join(' ', new[] { "similarity" }.Concat(args)));
        return 0;
    }

    private static int RunOne(Config config, BenchArgs options)
    {
        var ml = new MLContext(seed: 1);
        var trainPairs = StsbData.Spread(StsbData.Read(BenchEnvironment.Stsb("sts-train.csv")), options.Int("limit"));
        // A cross-encoder reads the pair as one sequence, so (b, a) is a second example of the same similarity.
        if (options.Bool("both-orders") == true) trainPairs = trainPairs.Concat(trainPairs.Select(p => (p.B, p.A, p.Score))).ToList();
        var devPairs = StsbData.Spread(StsbData.Read(BenchEnvironment.Stsb("sts-dev.csv")), options.Int("dev-limit"));
        IDataView View(IEnumerable<(string A, string B, float Score)> pairs)
            => ml.Data.LoadFromEnumerable(pairs.Select(p => new Pair { Sentence1 = p.A, Sentence2 = p.B, Label = p.Score }).ToArray());
        var train = View(trainPairs);
        var dev = View(devPairs);
        int epochs = options.Int("epochs") ?? config.Epochs;
        double lr = options.Double("lr") ?? config.LearningRate;
        var method = config.FineTuning(options);
        string settings = string.Join(", ", new[] { "rank", "alpha", "dropout", "all-linear", "mean-pooling", "pooler", "batch", "precision", "both-orders" }.Where(options.Has).Select(n => $"{n} {options.String(n)}"));
        Console.WriteLine($"{config.Name}: {method.Name}, {trainPairs.Count} training and {devPairs.Count} dev pairs, {epochs} epochs, lr {lr}{(settings.Length > 0 ? ", " + settings : "")}");

        var estimator = ml.Transforms.LoraFineTune(new LoraSentenceSimilarityOptions
        {
            Method = method, Epochs = epochs, LearningRate = lr, BatchSize = options.Int("batch") ?? 32, MeanPooling = options.Bool("mean-pooling") ?? config.MeanPooling, TrainPooler = options.Bool("pooler"),
            NumberOfThreads = options.Int("threads"), Seed = 1, Progress = new ConsoleProgress(),
            Precision = options.String("precision") is { } precision ? BenchArgs.ParsePrecision(precision) : Precision.Float32,
            ValidationSet = options.Bool("track-dev") == false ? null : dev,
        });
        var trainClock = Stopwatch.StartNew();
        var model = estimator.Fit(train);
        double trainSeconds = trainClock.Elapsed.TotalSeconds;

        var scoreClock = Stopwatch.StartNew();
        var scored = ml.Data.Cache(model.Transform(dev));
        var similarity = ml.Regression.EvaluateSimilarity(scored);   // the kept epoch's
        double scoringSeconds = scoreClock.Elapsed.TotalSeconds;
        var regression = ml.Regression.Evaluate(scored);
        Console.WriteLine($"{config.Name}: {similarity}, MSE {regression.MeanSquaredError:F4}");

        var zip = Path.Combine(BenchEnvironment.OutputFolder, $"similarity-{config.Name}.zip");
        ml.Model.Save(model, dev.Schema, zip);
        var history = model.TrainingHistory!;
        double lastSpearman = history.Epochs[^1].ValidationMetric ?? similarity.SpearmanCorrelation;
        var result = new Result(config.Name, config.Method, settings, trainPairs.Count, devPairs.Count, history.Epochs.Count, history.BestEpoch, lr,
            lastSpearman, similarity.PearsonCorrelation, regression.MeanSquaredError,
            history.Epochs.Select(e => e.TrainLoss).ToArray(), history.Epochs.Select(e => e.ValidationMetric).ToArray(),
            trainSeconds, trainPairs.Count * (double)history.Epochs.Count / trainSeconds, devPairs.Count / scoringSeconds,
            TorchRuntime.PeakResidentBytes(), model.Parameters.Trainable, new FileInfo(zip).Length / (1024.0 * 1024));
        Console.WriteLine(JsonSerializer.Serialize(result));   // the parent reads this last JSON line (ChildRun)
        return 0;
    }

    private static Config Find(string name) => Configs.FirstOrDefault(c => c.Name == name)
        ?? throw new ArgumentException($"Unknown configuration '{name}'; expected one of {string.Join(", ", Configs.Select(c => c.Name))}.");
}
