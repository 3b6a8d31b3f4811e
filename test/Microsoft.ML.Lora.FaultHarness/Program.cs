// usage: Microsoft.ML.Lora.FaultHarness <command> <args...>; every line it prints is "key=value", flushed at once.
//   train <base folder> <checkpoint folder> <epochs>   checkpointed training (every step); prints resumed=, score=, accuracy=
//   save-adapter <base folder> <adapter folder>        trains two tiny models, then saves their adapters alternately forever
//   save-model <base folder> <model.zip>               the same with mlContext.Model.SaveAtomically
//   convert-cache <cache root>                         converts the embedded MiniLM into the cache (LORA_CACHE)
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
