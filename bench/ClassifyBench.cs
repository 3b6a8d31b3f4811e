using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.ML.Data;
using Microsoft.ML.Lora.Lora;
using Microsoft.ML.Lora.Methods;
using Microsoft.ML.Lora.Native;
using Microsoft.ML.Lora.TextClassification;
using Microsoft.ML.Lora.Training;

namespace Microsoft.ML.Lora.Bench;

/// <summary>
/// Fine-tunes the embedded MiniLM on the financial news sentiment set (train → valid) with LoRA, full fine-tuning and
/// head-only through the public estimator; then scores the valid set with the saved model next to ONNX Runtime.
/// </summary>
internal static class ClassifyBench
{
    private sealed record Config(string Name, Func<FineTuningMethod> Method, double LearningRate, int Epochs, Precision Precision = Precision.Float32);

    private static readonly Config[] Configs =
    {
        // Four epochs (1,196 steps) so that the LoRA run also shows resident memory at steps 100 and 1,000.
        new("LoRA r=8 all-linear", () => FineTuningMethod.Lora(new LoraOptions { Rank = 8, Alpha = 16, TargetAllLinear = true }), 2e-3, 4),
        new("LoRA r=8 all-linear bf16", () => FineTuningMethod.Lora(new LoraOptions { Rank = 8, Alpha = 16, TargetAllLinear = true }), 2e-3, 4, Precision.BFloat16),
        new("Full fine-tuning", () => FineTuningMethod.Full, 5e-5, 3),
        new("Head only", () => FineTuningMethod.HeadOnly, 2e-3, 3),
    };

    public static int Run(string[] args)
    {
        int? limit = Option(args, "--limit");
        int? epochs = Option(args, "--epochs");
        if (args.Length >= 2 && args[0] == "--one") return One(Configs[int.Parse(args[1], CultureInfo.InvariantCulture)], limit, epochs);
        if (args.Contains("--score-only")) return ScoreSaved();
        if (args.Contains("--calibration")) return CalibrationCheck.SmallValidationSets(epochs);
        int i0 = Array.IndexOf(args, "--only");
        var only = i0 >= 0 && i0 + 1 < args.Length ? args[i0 + 1].Split(',').Select(x => int.Parse(x, CultureInfo.InvariantCulture)).ToHashSet() : null;

        var table = new ResultTable("Text classification (financial news sentiment, train 9,543 → valid 2,388)",
            "method", "precision", "epochs", "trainable params", "accuracy", "macro-F1", "ECE", "ECE, plain T", "ECE, cross-validated T", "ECE noise (2 SE)",
            "train wall time", "train examples/s", "peak RSS MiB", "model.zip MiB",
            "scoring sentences/s", "ONNX Runtime sentences/s", "scoring ratio", "scored in the other precision: sentences/s", "ratio", "same prediction");
        var extra = new List<string>();
        double? loraAcc = null, fullAcc = null, bf16Acc = null;
        for (int i = 0; i < Configs.Length; i++)
        {
            if (only is not null && !only.Contains(i)) continue;
            Console.WriteLine($"-- {Configs[i].Name}");
            var childArgs = new List<string> { "classify", "--one", i.ToString(CultureInfo.InvariantCulture) };
            if (limit is not null) childArgs.AddRange(new[] { "--limit", limit.Value.ToString(CultureInfo.InvariantCulture) });
            if (epochs is not null) childArgs.AddRange(new[] { "--epochs", epochs.Value.ToString(CultureInfo.InvariantCulture) });
            var r = ChildRun.Bench(childArgs.ToArray());
            double acc = r["accuracy"]!.GetValue<double>();
            if (i == 0) loraAcc = acc;
            if (i == 1) bf16Acc = acc;
            if (i == 2) fullAcc = acc;
            double otherRate = r["other_precision_per_second"]!.GetValue<double>();
            table.Add(Configs[i].Name, Configs[i].Precision, r["epochs"]!.GetValue<int>(), r["trainable"]!.GetValue<long>().ToString("N0", CultureInfo.InvariantCulture), acc,
                r["macro_f1"]!.GetValue<double>(), $"{r["ece_before"]!.GetValue<double>():F4}", $"{r["ece_plain"]!.GetValue<double>():F4}",
                $"{r["ece_after"]!.GetValue<double>():F4} (T {r["temperatures"]!.GetValue<string>()})", $"{r["ece_noise"]!.GetValue<double>():F4}", TimeSpan.FromSeconds(r["train_seconds"]!.GetValue<double>()).ToString(@"m\:ss", CultureInfo.InvariantCulture),
                r["train_examples_per_second"]!.GetValue<double>(), r["peak_rss_mb"]!.GetValue<double>(), r["zip_mb"]!.GetValue<double>(),
                r["scoring_per_second"]!.GetValue<double>(), r["ort_per_second"]!.GetValue<double>(),
                $"{r["scoring_per_second"]!.GetValue<double>() / r["ort_per_second"]!.GetValue<double>():F2}×",
                otherRate, $"{otherRate / r["ort_per_second"]!.GetValue<double>():F2}×", $"{100 * r["agreement"]!.GetValue<double>():F2}%");
            if (r["rss_step_100_mb"] is { } r100 && r["rss_step_1000_mb"] is { } r1000)
                extra.Add($"{Configs[i].Name}: resident memory {r100.GetValue<double>():F0} MiB at step 100, {r1000.GetValue<double>():F0} MiB at step 1,000 ({100 * (r1000.GetValue<double>() / r100.GetValue<double>() - 1):+0.0;-0.0}%; target < 10%).");
        }
        string versusFull = fullAcc is { } f && loraAcc is { } lo ? $" (here {100 * (f - lo):F1} points)" : " (full fine-tuning not run here)";
        table.Note($"Targets: LoRA accuracy ≥ 0.86 and within 1.5 points of full fine-tuning{versusFull}; scoring ≥ 1.5× ONNX Runtime.");
        if (loraAcc is { } l && bf16Acc is { } b)
            table.Note($"bf16 LoRA − fp32 LoRA accuracy: {100 * (b - l):+0.0;-0.0} points (target: within 0.5). bf16 scoring targets: ≥ 2× ONNX Runtime's fp32 throughput, same prediction as fp32 scoring on ≥ 99.5% of rows.");
        table.Note("\"scored in the other precision\": the same saved model.zip loaded again and switched with UsePrecision (a float32-trained model scored in bfloat16, a bfloat16 one in float32); \"same prediction\": the share of the 2,388 valid rows whose predicted class is the same in both precisions.");
        table.Note("ECE (15 bins) on the valid set, uncalibrated and after temperature scaling, 2-fold cross-fitted (T fitted on one half of the valid rows, ECE of the other half; T shown for each half as plain → cross-validated). "
            + "Plain: the maximum-likelihood T the library used to apply; cross-validated: TemperatureScaling.FitCrossValidated, what Calibrate/CalibrateScores use now (T = 1 unless it beats T = 1 on held-out folds by more than noise). "
            + "Noise: two bootstrap standard errors of the ECE change. `classify --calibration` covers small validation sets.");
        table.Note("Scoring: the saved model.zip loaded with mlContext.Model.Load, Transform over the 2,388 valid sentences in file order (the library batches them itself: look-ahead windows sorted by length, merged LoRA weights, inference mode) vs ONNX Runtime on the base ONNX model fed the file in order, batches of 32 padded to the longest; both 2 threads, tokenization included for both.");
        foreach (var e in extra) table.Note(e);
        if (limit is not null) table.Note($"SMOKE RUN: --limit {limit} rows (not comparable).");
        table.Record("classify");
        return 0;
    }

    private static int? Option(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : null;
    }

    private static int One(Config config, int? limit, int? epochsOverride)
    {
        var ml = new MLContext(seed: 1);
        var train = BenchData.LoadSentiment(ml, BenchEnvironment.SentimentTrain);
        var valid = BenchData.LoadSentiment(ml, BenchEnvironment.SentimentValid);
        if (limit is { } n)
        {
            train = ml.Data.TakeRows(train, n);
            valid = ml.Data.TakeRows(valid, n);
        }
        var keys = ml.Transforms.Conversion.MapValueToKey("Label").Fit(train);
        var trainKeyed = ml.Data.Cache(keys.Transform(train));
        var validKeyed = ml.Data.Cache(keys.Transform(valid));
        double? rss100 = null, rss1000 = null;
        var progress = new InlineProgress(p =>
        {
            if (p.Step >= 100 && rss100 is null) rss100 = TorchRuntime.ResidentBytes() / 1048576.0;
            if (p.Step >= 1000 && rss1000 is null) rss1000 = TorchRuntime.ResidentBytes() / 1048576.0;
            Console.WriteLine(p.ToString());
        });
        int epochs = epochsOverride ?? config.Epochs;
        var options = new LoraTextClassificationOptions
        {
            Sentence1ColumnName = "Text", LabelColumnName = "Label", Method = config.Method(), LearningRate = config.LearningRate,
            Epochs = epochs, BatchSize = 32, MaxSequenceLength = 128, NumberOfThreads = 2, Progress = progress, Seed = 7, Precision = config.Precision,
        };
        var sw = Stopwatch.StartNew();
        var model = ml.Transforms.LoraFineTune(options).Fit(trainKeyed);
        double trainSeconds = sw.Elapsed.TotalSeconds;
        long trainRows = trainKeyed.GetRowCount() ?? 0;

        var scoredValid = model.Transform(validKeyed);
        var metrics = ml.MulticlassClassification.Evaluate(scoredValid, "Label");
        var calibration = CalibrationCheck.CrossFitted(scoredValid.GetColumn<float[]>("Score").ToList(), scoredValid.GetColumn<uint>("Label").Select(k => (int)k - 1).ToList());
        var zip = ZipPath(config);
        ml.Model.Save(model, validKeyed.Schema, zip);

        var texts = valid.GetColumn<string>("Text").ToArray();
        var (ours, predicted) = SavedModelScoring(zip, texts);
        var other = config.Precision == Precision.Float32 ? Precision.BFloat16 : Precision.Float32;
        var (otherRate, otherPredicted) = SavedModelScoring(zip, texts, other);
        double ort = OrtScoring(texts);

        var macroF1 = MacroF1(metrics.ConfusionMatrix);
        var result = new JsonObject
        {
            ["method"] = config.Name, ["epochs"] = epochs, ["trainable"] = model.Parameters.Trainable, ["accuracy"] = metrics.MicroAccuracy,
            ["macro_f1"] = macroF1, ["ece_before"] = calibration.EceBefore, ["ece_plain"] = calibration.EcePlain, ["ece_after"] = calibration.EceCrossValidated,
            ["ece_noise"] = calibration.Noise, ["temperatures"] = calibration.Temperatures, ["train_seconds"] = trainSeconds, ["train_examples_per_second"] = trainRows * epochs / trainSeconds,
            ["peak_rss_mb"] = TorchRuntime.PeakResidentBytes() / 1048576.0, ["zip_mb"] = new FileInfo(zip).Length / 1048576.0,
            ["scoring_per_second"] = ours, ["ort_per_second"] = ort, ["other_precision_per_second"] = otherRate,
            ["agreement"] = predicted.Zip(otherPredicted).Count(p => p.First == p.Second) / (double)Math.Max(1, predicted.Length), ["rss_step_100_mb"] = rss100, ["rss_step_1000_mb"] = rss1000,
        };
        Console.WriteLine(result.ToJsonString());
        return 0;
    }

    private static string ZipPath(Config config)
        => Path.Combine(BenchEnvironment.OutputFolder, $"classify-{config.Name.Split(' ')[0].ToLowerInvariant()}{(config.Precision == Precision.BFloat16 ? "-bf16" : "")}.zip");

    /// <summary>
    /// <c>classify --score-only</c>: scoring throughput of the model.zip files a full <c>classify</c> run saved, re-measured
    /// (after a scoring change, without training again); each next to ONNX Runtime in the same minute.
    /// </summary>
    private static int ScoreSaved()
    {
        var texts = BenchData.LoadSentiment(new MLContext(), BenchEnvironment.SentimentValid).GetColumn<string>("Text").ToArray();
        var table = new ResultTable("Scoring the saved classify models (re-measured)",
            "model.zip", "MiB", "scoring precision", "scoring sentences/s", "ONNX Runtime sentences/s", "scoring ratio", "same prediction as float32");
        foreach (var config in Configs)
        {
            var zip = ZipPath(config);
            if (!File.Exists(zip)) { Console.WriteLine($"'{zip}' is missing (run 'classify' first): skipped."); continue; }
            var (fp32, fp32Predicted) = SavedModelScoring(zip, texts, Precision.Float32);
            var (bf16, bf16Predicted) = SavedModelScoring(zip, texts, Precision.BFloat16);
            double ort = OrtScoring(texts);
            double agreement = fp32Predicted.Zip(bf16Predicted).Count(p => p.First == p.Second) / (double)Math.Max(1, texts.Length);
            Console.WriteLine($"{config.Name}: fp32 {fp32:F1}, bf16 {bf16:F1} vs ONNX Runtime {ort:F1} sentences/s; agreement {100 * agreement:F2}%");
            table.Add($"{Path.GetFileName(zip)} ({config.Name})", new FileInfo(zip).Length / 1048576.0, "float32", fp32, ort, $"{fp32 / ort:F2}×", "");
            table.Add($"{Path.GetFileName(zip)} ({config.Name})", new FileInfo(zip).Length / 1048576.0, "bfloat16", bf16, ort, $"{bf16 / ort:F2}×", $"{100 * agreement:F2}%");
        }
        table.Note("Same measurement as the classify table: the 2,388 valid sentences in file order, best of 3 after a warm-up, tokenization included, 2 threads each. "
            + "The library batches by length and, for a sentence classifier, computes the last layer for the first token only (all the head reads); "
            + "the ONNX model computes every token's last hidden state (its output). Targets: float32 ≥ 1.5×; bfloat16 ≥ 2× ONNX Runtime (float32) with the same prediction on ≥ 99.5% of rows. "
            + "Each model is scored in both precisions (UsePrecision after mlContext.Model.Load), whatever it was trained in.");
        table.Record("classify --score-only");
        return 0;
    }

    /// <summary>
    /// Scoring throughput of a saved model, end to end (tokenization included), on <paramref name="texts"/> in file order, in
    /// <paramref name="precision"/> (null: the one it was trained in); and the predicted class of each text.
    /// </summary>
    private static (double PerSecond, int[] Predicted) SavedModelScoring(string zip, string[] texts, Precision? precision = null)
    {
        var loaded = new MLContext().Model.Load(zip, out _);
        if (precision is { } p) ((FineTunedTransformer)loaded).UsePrecision(p);
        var predicted = new int[texts.Length];
        return (ScoringThroughput.Best(3, ScoringThroughput.Transformer(loaded, texts, predicted), texts.Length), predicted);
    }

    public static double MacroF1(ConfusionMatrix cm)
    {
        int k = cm.NumberOfClasses;
        double sum = 0;
        for (int c = 0; c < k; c++)
        {
            double tp = cm.Counts[c][c], fp = Enumerable.Range(0, k).Sum(r => r == c ? 0 : cm.Counts[r][c]), fn = Enumerable.Range(0, k).Sum(p => p == c ? 0 : cm.Counts[c][p]);
            sum += tp == 0 ? 0 : 2 * tp / (2 * tp + fp + fn);
        }
        return sum / k;
    }

    /// <summary>ONNX Runtime on the base model: file order, batches of 32 padded to the longest, tokenization included.</summary>
    private static double OrtScoring(string[] texts)
    {
        byte[] onnx;
        using (var s = OnnxModelResource.Open()) { var ms = new MemoryStream(); s.CopyTo(ms); onnx = ms.ToArray(); }
        using var session = ScoringThroughput.OrtSession(onnx, threads: 2);
        return ScoringThroughput.Best(3, ScoringThroughput.Ort(session, PretrainedModel.MiniLmL6V2.LoadTokenizer(), texts, 128), texts.Length);
    }

    private sealed class InlineProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
