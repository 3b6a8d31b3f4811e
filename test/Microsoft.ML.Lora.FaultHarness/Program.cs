// usage: Microsoft.ML.Lora.FaultHarness <command> <args...>; every line it prints is "key=value", flushed at once.
//   train <base folder> <checkpoint folder> <epochs>   checkpointed training (every step); prints resumed=, score=, accuracy=
//   save-adapter <base folder> <adapter folder>        trains two tiny models, then saves their adapters alternately forever
//   save-model <base folder> <model.zip>               the same with mlContext.Model.SaveAtomically
//   convert-cache <cache root>                         converts the embedded MiniLM into the cache (LORA_CACHE)
//   memory-load <folder> <cycles> <ends>               fits a MiniLM model once, then per cycle loads its zip, scores a row and
//                                                      ends the model as <ends> says (a comma list, cycled: dispose or drop);
//                                                      prints rss<i>= after each cycle (GC, finalizers, malloc_trim)
//   memory-fit <cycles> <ends>                         the same for Fit on the embedded MiniLM (ends: dispose, drop, or cancel:
//                                                      a Fit cancelled during its first epoch)
//   memory-predict <base folder> <predictions>         one engine, many predictions; prints rss_start= and rss_end=
// The fault tests SIGKILL it at a random moment and check that every file is the old one or the new one.
using System.Globalization;
using System.Security.Cryptography;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Lora;

static void Say(string key, object value) { Console.WriteLine($"{key}={Convert.ToString(value, CultureInfo.InvariantCulture)}"); Console.Out.Flush(); }

var ml = new MLContext(seed: 1);
switch (args[0])
{
    case "train":
        {
            var data = ToyData(ml);
            var options = Options(args[1], seed: 3, epochs: int.Parse(args[3], CultureInfo.InvariantCulture));
            options.CheckpointDirectory = args[2];
            options.CheckpointEverySteps = 1;
            Say("started", true);
            var model = ml.Transforms.LoraFineTune(options).Fit(data);
            Say("resumed", model.TrainingHistory!.Resumed);
            Say("score", FirstScore(model.Transform(data)));
            Say("accuracy", ml.MulticlassClassification.Evaluate(model.Transform(data)).MicroAccuracy);
            return 0;
        }
    case "save-adapter":
        {
            var data = ToyData(ml);
            var models = new[] { 3, 4 }.Select(seed => ml.Transforms.LoraFineTune(Options(args[1], seed, epochs: 1)).Fit(data)).ToArray();
            for (long i = 0; ; i++)
            {
                models[i % 2].SaveAdapter(args[2]);
                if (i < 2) Say($"hash{i}", Hash(Path.Combine(args[2], "adapter_model.safetensors")));
                Say("saved", i);
            }
        }
    case "save-model":
        {
            var data = ToyData(ml);
            var models = new[] { 3, 4 }.Select(seed => ml.Transforms.LoraFineTune(Options(args[1], seed, epochs: 1)).Fit(data)).ToArray();
            for (int m = 0; m < 2; m++) Say($"score{m}", FirstScore(models[m].Transform(data)));
            for (long i = 0; ; i++)
            {
                ml.Model.SaveAtomically(models[i % 2], data.Schema, args[2]);
                Say("saved", i);
            }
        }
    case "convert-cache":
        {
            Environment.SetEnvironmentVariable("LORA_CACHE", args[1]);
            Say("started", true);
            var folder = PretrainedModel.MiniLmL6V2.ResolveFolder(line => Say("log", line));
            Say("folder", folder);
            Say("vocab_lines", File.ReadLines(Path.Combine(folder, "vocab.txt")).Count());
            return 0;
        }
    case "memory-load":
        {
            string zip = Path.Combine(args[1], "model.zip");
            var data = ToyData(ml);
            using (var fitted = ml.Transforms.LoraFineTune(MiniLmOptions()).Fit(data)) ml.Model.SaveAtomically(fitted, data.Schema, zip);
            var ends = args[3].Split(',');
            for (int i = 0; i < int.Parse(args[2], CultureInfo.InvariantCulture); i++)
            {
                var model = ml.Model.Load(zip, out _);
                using (var engine = ml.Model.CreatePredictionEngine<Row, Scores>(model)) Say($"score{i}", engine.Predict(new Row { Text = "the stock was good today" }).Score[0]);
                if (ends[i % ends.Length] == "dispose") ((IDisposable)model).Dispose();
                Say($"rss{i}", SettledResidentBytes());
            }
            return 0;
        }
    case "memory-fit":
        {
            var data = ToyData(ml);
            var ends = args[2].Split(',');
            for (int i = 0; i < int.Parse(args[1], CultureInfo.InvariantCulture); i++)
            {
                string end = ends[i % ends.Length];
                if (end == "cancel")
                {
                    using var cancel = new CancellationTokenSource();
                    var options = MiniLmOptions();
                    (options.Epochs, options.BatchSize, options.CancellationToken) = (3, 8, cancel.Token);
                    options.Progress = new CallbackProgress(p => { if (p.Phase == TrainingPhase.Training) cancel.Cancel(); });
                    try
                    {
                        ml.Transforms.LoraFineTune(options).Fit(data);
                        Say($"cancelled{i}", false);
                    }
                    catch (OperationCanceledException) { Say($"cancelled{i}", true); }
                }
                else
                {
                    var model = ml.Transforms.LoraFineTune(MiniLmOptions()).Fit(data);
                    Say($"score{i}", FirstScore(model.Transform(data)));
                    if (end == "dispose") model.Dispose();
                }
                Say($"rss{i}", SettledResidentBytes());
            }
            return 0;
        }
    case "memory-predict":
        {
            var data = ToyData(ml);
            using var model = ml.Transforms.LoraFineTune(Options(args[1], seed: 3, epochs: 1)).Fit(data);
            using var engine = ml.Model.CreatePredictionEngine<Row, Scores>(model);
            int n = int.Parse(args[2], CultureInfo.InvariantCulture);
            for (int i = 0; i < n; i++)
            {
                _ = engine.Predict(new Row { Text = $"the stock was {(i % 3 == 0 ? "good" : "bad")} today {i % 17}" });
                if (i == 999) Say("rss_start", SettledResidentBytes());
            }
            Say("rss_end", SettledResidentBytes());
            return 0;
        }
    default:
        Console.Error.WriteLine($"unknown command {args[0]}");
        return 2;
}

static LoraTextClassificationOptions Options(string baseFolder, int seed, int epochs) => new()
{
    BaseModel = PretrainedModel.FromHuggingFaceFolder(baseFolder),
    Method = FineTuningMethod.Lora(new LoraOptions { Rank = 4, Alpha = 8 }),
    Epochs = epochs, BatchSize = 4, LearningRate = 1e-2, WarmupFraction = 0, Seed = seed, NumberOfThreads = 1,
    Sentence1ColumnName = "Text", LabelColumnName = "Label",
};

// The embedded MiniLM, LoRA, one step on the toy set: the real model's memory with little training work.
static LoraTextClassificationOptions MiniLmOptions() => new()
{
    Epochs = 1, BatchSize = 32, MaxSequenceLength = 16, Seed = 3, NumberOfThreads = 2, Sentence1ColumnName = "Text", LabelColumnName = "Label",
};

// Resident memory once garbage is collected and the C heap has returned what is free (what a leak cannot hide behind).
static long SettledResidentBytes()
{
    for (int i = 0; i < 2; i++)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
    }
    GC.Collect();
    _ = MallocTrim(0);
    return Environment.WorkingSet;
}

[System.Runtime.InteropServices.DllImport("libc", EntryPoint = "malloc_trim")]
static extern int MallocTrim(nuint pad);

static IDataView ToyData(MLContext ml)
{
    var words = new[] { ("good", "positive"), ("great", "positive"), ("bad", "negative"), ("awful", "negative"), ("flat", "neutral"), ("okay", "neutral") };
    var rows = Enumerable.Range(0, 4).SelectMany(r => words.Select(w => new Row { Text = $"the stock was {w.Item1} today", Label = w.Item2 })).ToArray();
    var raw = ml.Data.LoadFromEnumerable(rows);
    return ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw).Transform(raw);
}

static string FirstScore(IDataView scored) => string.Join(" ", scored.GetColumn<float[]>("Score").First().Select(v => v.ToString("R", CultureInfo.InvariantCulture)));

static string Hash(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));

sealed class Row
{
    public string Text { get; set; } = "";
    public string Label { get; set; } = "";
}

// Reports on the training thread (Progress<T> would post them to the thread pool, after the step that should stop).
sealed class CallbackProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
{
    public void Report(TrainingProgress value) => report(value);
}

sealed class Scores
{
    public float[] Score { get; set; } = Array.Empty<float>();
}
