using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using Microsoft.ML.Data;
using Microsoft.ML.Lora.Methods;
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
    private const int BatchSize = 32, Seed = 42, LatencyRows = 320, LatencyRepeats = 5;

    private static readonly (string Name, Func<FineTuningMethod> Method)[] Configs =
    {
        ("lora", () => FineTuningMethod.Lora()),
        ("full", () => FineTuningMethod.Full),
        ("head-only", () => FineTuningMethod.HeadOnly),
        ("last-2", () => FineTuningMethod.LastLayers(2)),
        ("adapters", () => FineTuningMethod.Adapters()),
        ("prefix", () => FineTuningMethod.PrefixTuning()),
    };

    private sealed record Settings(int? Limit, int Epochs, int? Threads, string[] Only, string? One, string? Out);

    /// <summary>What one child process measured.</summary>
    private sealed record Result(string Config, string Method, double LearningRate, long Trainable, long Total, double TrainablePercent,
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
        int? limit = null, threads = null;
        int epochs = 3;
        string[] only = Configs.Select(c => c.Name).ToArray();
        string? one = null, output = null;
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
                case "--out": output = Value(); break;
                default: throw new ArgumentException($"Unknown option '{args[i]}'. Options: --limit N, --epochs N, --threads N, --only {string.Join(",", Configs.Select(c => c.Name))}.");
            }
        }
        foreach (var name in only.Append(one).OfType<string>())
            if (Configs.All(c => c.Name != name))
                throw new ArgumentException($"Unknown configuration '{name}'; expected one of {string.Join(", ", Configs.Select(c => c.Name))}.");
        return new Settings(limit, epochs, threads, only, one, output);
    }

    // ---- parent: one child per configuration, then the table and the chart ----

    private static int RunAll(Settings s, string[] args)
    {
        Console.WriteLine($"Fine-tuning methods on financial news sentiment: {string.Join(", ", s.Only)}; {s.Epochs} epoch(s)"
            + (s.Limit is { } l ? $", first {l} rows of train and valid (smoke run: RESULTS.md and bench/methods.png are left alone)" : ""));
        var results = new List<Result>();
        foreach (var name in s.Only)
        {
            var json = Path.Combine(Path.GetTempPath(), $"lora-bench-{name}-{Guid.NewGuid():N}.json");
            var childArgs = new List<string> { "methods", "--one", name, "--epochs", s.Epochs.ToString(CultureInfo.InvariantCulture), "--out", json };
            if (s.Limit is { } limit) childArgs.AddRange(new[] { "--limit", limit.ToString(CultureInfo.InvariantCulture) });
            if (s.Threads is { } threads) childArgs.AddRange(new[] { "--threads", threads.ToString(CultureInfo.InvariantCulture) });
            Console.WriteLine($"\n=== {name} ===");
            int code = RunChild(childArgs);
            if (code != 0 || !File.Exists(json))
            {
                Console.Error.WriteLine($"{name}: the child process failed (exit code {code}); see its output above.");
                return 1;
            }
            results.Add(JsonSerializer.Deserialize<Result>(File.ReadAllText(json))!);
            File.Delete(json);
        }

        var first = results[0];
        var table = new ResultTable("Fine-tuning methods (all-MiniLM-L6-v2, financial news sentiment)",
            "method", "lr", "trainable params", "trainable %", "ms/step", "peak RSS MB", "accuracy", "macro-F1", "ms/scoring batch of 32", ".zip MB");
        foreach (var r in results)
            table.Add(r.Method, r.LearningRate.ToString("0.#####", CultureInfo.InvariantCulture), r.Trainable.ToString("N0", CultureInfo.InvariantCulture),
                r.TrainablePercent, r.MsPerStep, r.PeakRssMb, r.Accuracy, r.MacroF1, r.MsPerScoringBatch, r.ZipMb);
        table.Note($"Train {first.TrainRows:N0} rows → valid {first.ValidRows:N0} rows of sent_train/sent_valid.csv, {s.Epochs} epoch(s), batches of {BatchSize}, "
            + $"AdamW with each method's default learning rate, seed {Seed}, {(s.Threads is { } t ? $"{t}" : "all")} intra-op threads. "
            + "Each method ran in its own process: peak RSS is the process's high-water mark (model, optimizer state, activations, runtime). "
            + "ms/step: training wall time / optimizer steps (no validation during training). "
            + $"Scoring: Transform of the first {LatencyRows} valid rows, best of {LatencyRepeats} runs, per batch of 32 (merged LoRA costs what the base costs; adapters and prefixes add work). "
            + ".zip: mlContext.Model.Save; with the embedded base it holds only the trained tensors, the vocabulary and settings.");
        table.Note("NER (WNUT-17) is not measured yet: the NER estimator is not on main.");

        bool smoke = s.Limit is not null;
        var chart = smoke ? Path.Combine(BenchEnvironment.OutputFolder, "methods.png") : Path.Combine(BenchEnvironment.RepoRoot, "bench", "methods.png");
        MethodsChart.Write(results.Select(r => (r.Method, r.Trainable, r.Accuracy)).ToList(), chart,
            $"Accuracy vs trainable parameters (MiniLM-L6, financial sentiment, {first.TrainRows:N0} train rows, {s.Epochs} epoch(s))");
        Console.WriteLine($"chart: {chart}");
        if (smoke) table.Print();
        else table.Record("methods " + string.Join(' ', args));
        return 0;
    }

    private static int RunChild(IEnumerable<string> args)
    {
        // Under `dotnet run` the bench is its apphost; under `dotnet bench.dll` it is the muxer plus this assembly.
        var self = Environment.ProcessPath ?? "dotnet";
        var psi = new ProcessStartInfo(self) { UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet") psi.ArgumentList.Add(Assembly.GetExecutingAssembly().Location);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"Cannot start {self}.");
        p.WaitForExit();
        return p.ExitCode;
    }

    // ---- child: one configuration ----

    private static int RunOne(Settings s)
    {
        var (name, make) = Configs.Single(c => c.Name == s.One);
        var method = make();
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
            Method = method, Epochs = s.Epochs, BatchSize = BatchSize, Seed = Seed, NumberOfThreads = s.Threads,
            Sentence1ColumnName = "Text", LabelColumnName = "Label",
            Progress = new SyncProgress(p => { last = p; if (p.Phase != TrainingPhase.Completed) Console.WriteLine($"  {p}"); }),
        };
        Console.WriteLine($"{method.Name}: {trainRows} train rows, {validRows} valid rows, lr {method.DefaultLearningRate}");
        var model = ml.Transforms.LoraFineTune(options).Fit(train);
        var done = last ?? throw new InvalidOperationException("Training reported no progress.");
        double trainSeconds = done.Elapsed.TotalSeconds, msPerStep = done.Elapsed.TotalMilliseconds / Math.Max(1, done.Step);
        Console.WriteLine($"  {model.Parameters}; {done.Step} steps in {trainSeconds:F1} s ({msPerStep:F1} ms/step)");

        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(valid), labelColumnName: "Label");
        double macroF1 = MacroF1(metrics.ConfusionMatrix);
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
        double zipMb = new FileInfo(zip).Length / 1e6;
        File.Delete(zip);

        double peakRssMb = Process.GetCurrentProcess().PeakWorkingSet64 / (1024.0 * 1024.0);
        var result = new Result(name, method.Name, options.LearningRate ?? method.DefaultLearningRate, model.Parameters.Trainable, model.Parameters.Total,
            model.Parameters.Percent, trainRows, validRows, done.Step, trainSeconds, msPerStep, peakRssMb, metrics.MicroAccuracy, macroF1, msPerBatch, zipMb);
        var json = JsonSerializer.Serialize(result);
        if (s.Out is { } path)
        {
            File.WriteAllText(path + ".tmp", json);
            File.Move(path + ".tmp", path, overwrite: true);
        }
        else Console.WriteLine(json);
        return 0;
    }

    /// <summary>Mean over classes of 2PR/(P+R) (a class never predicted and never present counts as 0).</summary>
    private static double MacroF1(ConfusionMatrix m)
    {
        var f1 = m.PerClassPrecision.Zip(m.PerClassRecall, (p, r) => p + r > 0 ? 2 * p * r / (p + r) : 0);
        return f1.Average();
    }

    private sealed class LabelOnly
    {
        public float Label { get; set; }
    }

    private sealed class SyncProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
