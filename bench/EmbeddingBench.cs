using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.Data;
using Microsoft.ML.Lora.Statistics;

namespace Microsoft.ML.Lora.Bench;

/// <summary>
/// Sentence embeddings on STS-B (../shared/data/stsb): the Spearman correlation of cos(u, v) with the gold scores on the dev
/// set, for the untuned all-MiniLM-L6-v2 (sentence-transformers' published embeddings), the sentence-transformers PEFT
/// fixture, and LoRA fine-tuned on the train pairs with the cosine-similarity loss (scores 0-5 scaled to [0, 1]).
/// </summary>
internal static class EmbeddingBench
{
    private sealed record Config(string Name, string Method, FineTuningMethod FineTuning, double LearningRate);

    // sentence-transformers' STS-B recipe (training_stsbenchmark.py): CosineSimilarityLoss, batch 16, 4 epochs, 10% warmup;
    // full fine-tuning at its 2e-5, LoRA at 10-25x that, as LoRA needs.
    private static readonly Config[] Configs =
    {
        new("lora", "LoRA r=8 query, value (default)", FineTuningMethod.Lora(), 5e-4),
        new("lora-all", "LoRA r=16 all-linear", FineTuningMethod.Lora(new LoraOptions { Rank = 16, Alpha = 32, TargetAllLinear = true }), 2e-4),
        new("full", "full fine-tuning", FineTuningMethod.Full, 2e-5),
    };

    private const int BatchSize = 16, DefaultEpochs = 4;

    private static string AdapterFixture => Path.Combine(BenchEnvironment.RepoRoot, "..", "shared", "peft-fixtures",
        "all-MiniLM-L6-v2-sentence-transformers-feature-extraction");

    public sealed class PairRow
    {
        public string Sentence1 { get; set; } = "";
        public string Sentence2 { get; set; } = "";
        public float Score { get; set; }
    }

    private sealed class SentenceRow
    {
        public string Sentence1 { get; set; } = "";
    }

    /// <summary><c>embedding [--limit N] [--epochs N] [--threads N] [--lr X] [--only a,b]</c>; recorded in RESULTS.md only for a full run.</summary>
    public static int Run(string[] args)
    {
        var options = BenchArgs.Parse(args, "--limit N (training pairs), --epochs N, --threads N, --lr X, --only lora,lora-all,full");
        int limit = options.Int("limit") ?? int.MaxValue, epochs = options.Int("epochs") ?? DefaultEpochs;
        int? threads = options.Int("threads");
        var only = options.String("only")?.Split(',') ?? new[] { "lora" };
        var configs = only.Select(n => Configs.FirstOrDefault(c => c.Name == n)
            ?? throw new ArgumentException($"Unknown configuration '{n}'; expected one of {string.Join(", ", Configs.Select(c => c.Name))}.")).ToList();

        var ml = new MLContext(seed: 1);
        var train = StsbData.Read(BenchEnvironment.Stsb("sts-train.csv")).Take(limit).ToList();
        var dev = StsbData.Read(BenchEnvironment.Stsb("sts-dev.csv"));
        Console.WriteLine($"STS-B: {train.Count} training pairs, {dev.Count} dev pairs");
        var table = new ResultTable("Sentence embeddings (all-MiniLM-L6-v2, STS-B dev)",
            "model", "trainable params", "epochs", "learning rate", "train time", "train pairs/s", "dev Spearman (cos)", "dev Pearson (cos)", "Δ Spearman vs untuned");

        var untuned = Evaluate(ml, LoraSentenceEmbeddingTransformer.FromPretrained(ml), dev);
        table.Add("untuned (sentence-transformers' embeddings)", "0", "–", "–", "–", "–", untuned.Spearman, untuned.Pearson, "–");
        var fixture = Evaluate(ml, ml.Transforms.LoraFineTune(new LoraSentenceEmbeddingOptions()).FromPeftAdapter(AdapterFixture), dev);
        table.Add("PEFT fixture (r=4 q,v, 1 epoch on 100 pairs)", "–", "–", "–", "–", "–", fixture.Spearman, fixture.Pearson, Delta(fixture.Spearman, untuned.Spearman));

        var trainData = ml.Data.LoadFromEnumerable(train.Select(p => new PairRow { Sentence1 = p.A, Sentence2 = p.B, Score = p.Score }));
        foreach (var config in configs)
        {
            double lr = options.Double("lr") ?? config.LearningRate;
            Console.WriteLine($"\n=== {config.Name}: {config.Method}, {epochs} epochs, lr {lr} ===");
            var estimator = ml.Transforms.LoraFineTune(new LoraSentenceEmbeddingOptions
            {
                Loss = SentenceEmbeddingLoss.CosineSimilarity, MinScore = 0, MaxScore = 5, Method = config.FineTuning, Epochs = epochs,
                BatchSize = BatchSize, LearningRate = lr, WarmupFraction = 0.1, Seed = 1, NumberOfThreads = threads, Progress = new ConsoleProgress(),
            });
            var clock = Stopwatch.StartNew();
            var model = estimator.Fit(trainData);
            var seconds = clock.Elapsed.TotalSeconds;
            var tuned = Evaluate(ml, model, dev);
            Console.WriteLine(FormattableString.Invariant($"{config.Name}: dev Spearman {tuned.Spearman:F4} (untuned {untuned.Spearman:F4})"));
            table.Add(config.Method, model.Parameters.Trainable.ToString("N0", CultureInfo.InvariantCulture), epochs, lr.ToString("0.#E+0", CultureInfo.InvariantCulture),
                TimeSpan.FromSeconds(seconds).ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture), train.Count * epochs / seconds,
                tuned.Spearman, tuned.Pearson, Delta(tuned.Spearman, untuned.Spearman));
        }

        table.Note($"Cosine of the mean-pooled, normalised embeddings of each dev pair against its gold score (0-5); Spearman as STS-B reports it "
            + "(×100 in papers). Training: CosineSimilarityLoss (MSE of cos against score/5), batch 16, AdamW, 10% warmup then linear decay, seed 1; "
            + "sentence-transformers' STS-B recipe. Goal: tuned ≥ untuned + 0.02. Reference (STS-B test, README of the data): untuned 0.820.");
        table.Note("Times are provisional: the machine was shared with other developers' builds and tests during the run.");
        bool partial = options.Has("limit") || options.Has("epochs") || options.Has("lr") || options.Has("only");
        if (partial)
        {
            table.Print();
            Console.WriteLine("\n(partial run: not recorded in RESULTS.md)");
        }
        else table.Record("embedding");
        return 0;
    }

    private static string Delta(double value, double baseline) => (value - baseline).ToString("+0.0000;-0.0000", CultureInfo.InvariantCulture);

    /// <summary>Spearman and Pearson correlation of cos(embedding A, embedding B) with the gold scores.</summary>
    private static (double Spearman, double Pearson) Evaluate(MLContext ml, ITransformer embedder, IReadOnlyList<(string A, string B, float Score)> pairs)
    {
        var sentences = pairs.Select(p => p.A).Concat(pairs.Select(p => p.B)).Select(s => new SentenceRow { Sentence1 = s });
        var embeddings = embedder.Transform(ml.Data.LoadFromEnumerable(sentences)).GetColumn<float[]>("Embedding").ToArray();
        var cosines = pairs.Select((_, i) => (double)embeddings[i].Zip(embeddings[pairs.Count + i], (x, y) => x * y).Sum()).ToArray();
        var gold = pairs.Select(p => (double)p.Score).ToArray();
        return (Correlation.Spearman(cosines, gold), Correlation.Pearson(cosines, gold));
    }
}
