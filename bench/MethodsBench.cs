using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.ML.Data;
using Microsoft.ML.Lora.Methods;
using Microsoft.ML.Lora.Native;
using Microsoft.ML.Lora.TextClassification;
using Microsoft.ML.Lora.Training;

namespace Microsoft.ML.Lora.Bench;

/// <summary>
/// The fine-tuning methods side by side on the financial news sentiment set (train → valid, embedded MiniLM): trainable
/// parameters, ms per training step, peak RSS, accuracy and macro-F1, scoring latency and the size of the saved model.
/// Each configuration runs in its own child process (<c>methods --one NAME</c>), so peak RSS is that configuration's alone.
/// </summary>
internal static class MethodsBench
{
    // Batch size, sequence cap and threads as the classify bench, so the two tables compare.
    private const int BatchSize = 32, MaxSequenceLength = 128, DefaultThreads = 2, Seed = 42, LatencyRows = 320, LatencyRepeats = 5;

    private static readonly (string Name, Func<FineTuningMethod> Method)[] Configs =
    {
        ("lora", () => FineTuningMethod.Lora(new LoraOptions { Alpha = 16 })),   // alpha 16 (scale 2), as benched before the default became PEFT's 8
        ("full", () => FineTuningMethod.Full),
        ("head-only", () => FineTuningMethod.HeadOnly),
        ("last-2", () => FineTuningMethod.LastLayers(2)),
        ("adapters", () => FineTuningMethod.Adapters()),
        ("prefix", () => FineTuningMethod.PrefixTuning()),
    };

    private sealed record Settings(int? Limit, int Epochs, int Threads, string[] Only, string? One, string[] Tasks);

    /// <summary>What one child process measured.</summary>
    private sealed record Result(string Task, string Config, string Method, double LearningRate, long Trainable, long Total, double TrainablePercent,
        int TrainRows, int ValidRows, long Steps, double TrainSeconds, double MsPerStep, double PeakRssMb, double Accuracy, double MacroF1,
        double MsPerScoringBatch, double ZipMb);

    public static int Run(string[] args)
    {
        Settings s;
        try { s = Parse(args); }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine(e.Message);
            return 2;
        }
        return s.One is null ? RunAll(s, args) : RunOne(s);
    }

    private static Settings Parse(string[] args)
    {
        int? limit = null;
        int epochs = 3, threads = DefaultThreads;
        string[] only = Configs.Select(c => c.Name).ToArray();
        string? one = null;
        string[] tasks = { "sentiment", "wnut" };
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            int Positive() { var v = Value(); return int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0 ? n : throw new ArgumentException($"{args[i - 1]} expects a positive integer, got '{v}'."); }
            switch (args[i])
            {
                case "--limit": limit = Positive(); break;
                case "--epochs": epochs = Positive(); break;
                case "--threads": threads = Positive(); break;
                case "--only": only = Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries); break;
                case "--one": one = Value(); break;
                case "--task": tasks = Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries); break;
                default: throw new ArgumentException($"Unknown option '{args[i]}'. Options: --limit N, --epochs N, --threads N, --task sentiment,wnut, --only {string.Join(",", Configs.Select(c => c.Name))}.");
            }
        }
        foreach (var name in only.Append(one).OfType<string>())
            if (Configs.All(c => c.Name != name))
                throw new ArgumentException($"Unknown configuration '{name}'; expected one of {string.Join(", ", Configs.Select(c => c.Name))}.");
        if (tasks.Any(t => t is not ("sentiment" or "wnut"))) throw new ArgumentException($"--task takes sentiment and/or wnut, got '{string.Join(",", tasks)}'.");
        return new Settings(limit, epochs, threads, only, one, tasks);
    }

    // ---- parent: one child per configuration, then the table and the chart ----

    private static int RunAll(Settings s, string[] args)
    {
        Console.WriteLine($"Fine-tuning methods on {string.Join(" and ", s.Tasks)}: {string.Join(", ", s.Only)}; {s.Epochs} epoch(s)"
            + (s.Limit is { } l ? $", first {l} rows of each set (smoke run: RESULTS.md and bench/methods.png are left alone)" : ""));
        var results = new List<Result>();
        foreach (var task in s.Tasks)
            foreach (var name in s.Only)
            {
                var childArgs = new List<string> { "methods", "--one", name, "--task", task, "--epochs", s.Epochs.ToString(CultureInfo.InvariantCulture),
                    "--threads", s.Threads.ToString(CultureInfo.InvariantCulture) };
                if (s.Limit is { } limit) childArgs.AddRange(new[] { "--limit", limit.ToString(CultureInfo.InvariantCulture) });
                Console.WriteLine($"-- {task}: {name}");
                results.Add(JsonSerializer.Deserialize<Result>(ChildRun.Bench(childArgs.ToArray()).ToJsonString())!);
            }

        var table = new ResultTable("Fine-tuning methods (all-MiniLM-L6-v2: financial news sentiment, WNUT-17 NER)",
            "task", "method", "lr", "trainable params", "trainable %", "ms/step", "peak RSS MiB", "accuracy / entity F1", "macro-F1", "ms/scoring batch of 32", "model.zip MiB");
        foreach (var r in results)
            table.Add(r.Task, r.Method, r.LearningRate.ToString("0.#####", CultureInfo.InvariantCulture), r.Trainable.ToString("N0", CultureInfo.InvariantCulture),
                r.TrainablePercent, r.MsPerStep, r.PeakRssMb, r.Accuracy, r.Task == "sentiment" ? r.MacroF1.ToString("0.###", CultureInfo.InvariantCulture) : "",
                r.MsPerScoringBatch, r.ZipMb);
        foreach (var task in results.GroupBy(r => r.Task))
            table.Note($"{task.Key}: train {task.First().TrainRows:N0} → evaluate {task.First().ValidRows:N0} "
                + (task.Key == "sentiment" ? "rows of sent_train/sent_valid.csv (metric: accuracy)." : "sentences of wnut17train.conll → emerging.test.annotated (metric: entity micro-F1, conlleval)."));
        table.Note($"{s.Epochs} epoch(s) per method, batches of {BatchSize}, max {MaxSequenceLength} tokens, AdamW with each method's default learning rate, seed {Seed}, {s.Threads} intra-op threads. "
            + "Each method ran in its own process: peak RSS is the process's high-water mark (model, optimizer state, activations, runtime). "
            + "ms/step: training wall time / optimizer steps (no validation during training). "
            + $"Scoring: Transform of the first {LatencyRows} evaluation rows, best of {LatencyRepeats} runs, per batch of 32 (merged LoRA costs what the base costs; adapters and prefixes add work). "
            + ".zip: mlContext.Model.Save; with the embedded base it holds only the trained tensors, the vocabulary and settings.");

        bool smoke = s.Limit is not null;
        var chart = smoke ? Path.Combine(BenchEnvironment.OutputFolder, "methods.png") : Path.Combine(BenchEnvironment.RepoRoot, "bench", "methods.png");
        MethodsChart.Write(results.Select(r => (r.Task, r.Method, r.Trainable, r.Accuracy)).ToList(), chart,
            $"Quality vs trainable parameters (MiniLM-L6, {s.Epochs} epoch(s)): sentiment accuracy (circles), WNUT-17 entity F1 (squares)");
        Console.WriteLine($"chart: {chart}");
        if (smoke) table.Print();
        else table.Record("methods " + string.Join(' ', args));
        return 0;
    }

    // ---- child: one configuration ----

    private static int RunOne(Settings s)
    {
        var (name, make) = Configs.Single(c => c.Name == s.One);
        var method = make();
        if (s.Tasks.Single() == "wnut") return RunOneNer(s, name, method);
        var ml = new MLContext(seed: Seed);
        IDataView Load(string path)
        {
            var data = BenchData.LoadSentiment(ml, path);
            return s.Limit is { } n ? ml.Data.TakeRows(data, n) : data;
        }
        // The key map comes from the label set itself, so a --limit subset missing a class still maps labels the same way.
        var keyData = ml.Data.LoadFromEnumerable(new[] { 0f, 1f, 2f }.Select(v => new LabelOnly { Label = v }));
        var toKey = ml.Transforms.Conversion.MapValueToKey("Label", keyData: keyData).Fit(Load(BenchEnvironment.SentimentTrain));
        var train = ml.Data.Cache(toKey.Transform(Load(BenchEnvironment.SentimentTrain)));
        var valid = ml.Data.Cache(toKey.Transform(Load(BenchEnvironment.SentimentValid)));
        int trainRows = train.GetColumn<uint>("Label").Count(), validRows = valid.GetColumn<uint>("Label").Count();

        TrainingProgress? last = null;
        var options = new LoraTextClassificationOptions
        {
            Method = method, Epochs = s.Epochs, BatchSize = BatchSize, MaxSequenceLength = MaxSequenceLength, Seed = Seed, NumberOfThreads = s.Threads,
            Sentence1ColumnName = "Text", LabelColumnName = "Label",
            Progress = new SyncProgress(p => { last = p; if (p.Phase != TrainingPhase.Completed) Console.WriteLine($"  {p}"); }),
        };
        Console.WriteLine($"{method.Name}: {trainRows} train rows, {validRows} valid rows, lr {method.DefaultLearningRate}");
        var model = ml.Transforms.LoraFineTune(options).Fit(train);
        var done = last ?? throw new InvalidOperationException("Training reported no progress.");
        double trainSeconds = done.Elapsed.TotalSeconds, msPerStep = done.Elapsed.TotalMilliseconds / Math.Max(1, done.Step);
        Console.WriteLine($"  {model.Parameters}; {done.Step} steps in {trainSeconds:F1} s ({msPerStep:F1} ms/step)");

        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(valid), labelColumnName: "Label");
        double macroF1 = ClassifyBench.MacroF1(metrics.ConfusionMatrix);
        Console.WriteLine($"  accuracy {metrics.MicroAccuracy:F4}, macro-F1 {macroF1:F4}");

        var latencyRows = ml.Data.Cache(ml.Data.TakeRows(valid, LatencyRows));
        int rows = latencyRows.GetColumn<uint>("Label").Count(), batches = (rows + 31) / 32;
        double Score()
        {
            var sw = Stopwatch.StartNew();
            _ = model.Transform(latencyRows).GetColumn<float[]>("Score").Count();
            return sw.Elapsed.TotalMilliseconds;
        }
        Score();   // warm-up
        // The best of several runs: on a shared machine the others measure the neighbours.
        double msPerBatch = Enumerable.Range(0, LatencyRepeats).Select(_ => Score()).Min() / batches;
        Console.WriteLine($"  scoring: {msPerBatch:F1} ms per batch of 32 (best of {LatencyRepeats}, {rows} rows)");

        var zip = Path.Combine(BenchEnvironment.OutputFolder, $"methods-{name}.zip");
        ml.Model.Save(model, train.Schema, zip);
        double zipMb = new FileInfo(zip).Length / 1048576.0;
        File.Delete(zip);

        double peakRssMb = TorchRuntime.PeakResidentBytes() / 1048576.0;
        var result = new Result("sentiment", name, method.Name, options.LearningRate ?? method.DefaultLearningRate, model.Parameters.Trainable, model.Parameters.Total,
            model.Parameters.Percent, trainRows, validRows, done.Step, trainSeconds, msPerStep, peakRssMb, metrics.MicroAccuracy, macroF1, msPerBatch, zipMb);
        Console.WriteLine(JsonSerializer.Serialize(result));   // the one line ChildRun reads
        return 0;
    }

    private static int RunOneNer(Settings s, string name, FineTuningMethod method)
    {
        var ml = new MLContext(seed: Seed);
        IDataView Load(string file, out int count)
        {
            var rows = ConllReader.Read(BenchEnvironment.Wnut(file)).Take(s.Limit ?? int.MaxValue)
                .Select(x => new NerBench.Row { Tokens = x.Words.ToArray(), Label = x.Tags.ToArray() }).ToArray();
            count = rows.Length;
            return ml.Data.LoadFromEnumerable(rows);
        }
        var train = Load("wnut17train.conll", out int trainRows);
        var test = Load("emerging.test.annotated", out int testRows);
        TrainingProgress? last = null;
        var options = new LoraNerOptions
        {
            Method = method, Epochs = s.Epochs, BatchSize = BatchSize, MaxSequenceLength = MaxSequenceLength, Seed = Seed, NumberOfThreads = s.Threads,
            SentenceColumnName = nameof(NerBench.Row.Tokens), LabelColumnName = nameof(NerBench.Row.Label), WarmupFraction = 0.1,
            // NER wants more steps than sentiment's 1-3 epochs give at the methods' sentence-level rates: LoRA's 5e-4 becomes 2e-3 etc.
            LearningRate = method.DefaultLearningRate * NerLearningRateFactor(name),
            Progress = new SyncProgress(p => { last = p; if (p.Phase != TrainingPhase.Completed) Console.WriteLine($"  {p}"); }),
        };
        Console.WriteLine($"{method.Name}: {trainRows} train sentences, {testRows} test sentences, lr {options.LearningRate}");
        var model = ml.Transforms.LoraFineTune(options).Fit(train);
        var done = last ?? throw new InvalidOperationException("Training reported no progress.");
        double msPerStep = done.Elapsed.TotalMilliseconds / Math.Max(1, done.Step);
        var metrics = ml.MulticlassClassification.EvaluateNer(model.Transform(test), nameof(NerBench.Row.Label));
        Console.WriteLine($"  {model.Parameters}; entity F1 {metrics.MicroF1:F4}");

        var latencyRows = ml.Data.Cache(ml.Data.TakeRows(test, LatencyRows));
        int rows = Math.Min(LatencyRows, testRows), batches = (rows + 31) / 32;
        double Score()
        {
            var sw = Stopwatch.StartNew();
            _ = model.Transform(latencyRows).GetColumn<uint[]>(options.PredictedLabelColumnName).Count();
            return sw.Elapsed.TotalMilliseconds;
        }
        Score();
        double msPerBatch = Enumerable.Range(0, LatencyRepeats).Select(_ => Score()).Min() / batches;
        var zip = Path.Combine(BenchEnvironment.OutputFolder, $"methods-ner-{name}.zip");
        ml.Model.Save(model, train.Schema, zip);
        double zipMb = new FileInfo(zip).Length / 1048576.0;
        File.Delete(zip);
        var result = new Result("wnut", name, method.Name, options.LearningRate.Value, model.Parameters.Trainable, model.Parameters.Total,
            model.Parameters.Percent, trainRows, testRows, done.Step, done.Elapsed.TotalSeconds, msPerStep, TorchRuntime.PeakResidentBytes() / 1048576.0,
            metrics.MicroF1, metrics.MacroF1, msPerBatch, zipMb);
        Console.WriteLine(JsonSerializer.Serialize(result));
        return 0;
    }

    // Token tagging from a sentence-embedding model needs bigger updates than sentence classification (NerBench's tuned
    // rates: LoRA 2e-3, full 1e-4); the other methods scale the same way from their sentence-level defaults.
    private static double NerLearningRateFactor(string config) => config == "full" ? 2 : 4;

    private sealed class LabelOnly
    {
        public float Label { get; set; }
    }

    private sealed class SyncProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
