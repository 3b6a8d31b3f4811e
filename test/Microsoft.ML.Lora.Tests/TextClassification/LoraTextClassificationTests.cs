using System.Globalization;
using System.IO.Compression;
using Microsoft.ML.Data;
using Microsoft.ML.Lora.Checkpoints;
using Microsoft.ML.Lora.Lora;
using Microsoft.ML.Lora.Methods;
using Microsoft.ML.Lora.TextClassification;
using Microsoft.ML.Lora.Training;
using Xunit;

namespace Microsoft.ML.Lora.Tests.TextClassification;

public class LoraTextClassificationTests : IDisposable
{
    private readonly TempFolder temp = new();
    private readonly string baseFolder;

    public LoraTextClassificationTests() => baseFolder = TinyHuggingFaceFolder.Create(temp);

    public void Dispose() => temp.Dispose();

    private LoraTextClassificationOptions Options(int epochs = 20) => new()
    {
        BaseModel = PretrainedModel.FromHuggingFaceFolder(baseFolder),
        Method = FineTuningMethod.Lora(new LoraOptions { Rank = 4, Alpha = 8, Dropout = 0 }),
        Epochs = epochs, BatchSize = 8, LearningRate = 1e-2, WarmupFraction = 0, Seed = 3,
        LabelColumnName = "Label", Sentence1ColumnName = "Sentence1",
    };

    private static (MLContext Ml, IDataView Data, ITransformer KeyMap) Data(ToyRow[] rows)
    {
        var ml = new MLContext(seed: 1);
        var raw = ml.Data.LoadFromEnumerable(rows);
        var keyMap = ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw);
        return (ml, keyMap.Transform(raw), keyMap);
    }

    private static float[][] Scores(MLContext ml, IDataView scored) =>
        scored.GetColumn<float[]>("Score").ToArray();

    [Fact]
    public void TinyModelLearnsASeparableSetAndEvaluateAcceptsTheOutput()
    {
        var (ml, data, _) = Data(ToyData.Sentiment());
        var model = ml.Transforms.LoraFineTune(Options()).Fit(data);
        var scored = model.Transform(data);
        var metrics = ml.MulticlassClassification.Evaluate(scored, labelColumnName: "Label");
        Assert.True(metrics.MicroAccuracy == 1.0, $"accuracy {metrics.MicroAccuracy}, losses {string.Join(" ", model.TrainingHistory!.Epochs.Select(e => e.TrainLoss.ToString("F3")))}");
        Assert.Equal(3, model.ClassCount);
        Assert.Equal(new[] { "positive", "negative", "neutral" }, model.LabelNames);
        Assert.Equal(20, model.TrainingHistory!.Epochs.Count);
        Assert.True(model.TrainingHistory.StepLosses[^1] < model.TrainingHistory.StepLosses[0] / 4);
        Assert.All(Scores(ml, scored), s => Assert.Equal(1.0, s.Sum(), 4));

        // MapKeyToValue turns PredictedLabel back into the label strings
        var named = ml.Transforms.Conversion.MapKeyToValue("PredictedText", "PredictedLabel").Fit(scored).Transform(scored);
        Assert.Equal(ToyData.Sentiment().Select(r => r.Label), named.GetColumn<string>("PredictedText"));
    }

    [Fact]
    public void SavedZipLoadsInAFreshProcessAndPredictsTheSame()
    {
        var rows = ToyData.Sentiment();
        var (ml, data, _) = Data(rows);
        var model = ml.Transforms.LoraFineTune(Options(epochs: 3)).Fit(data);
        var probe = new[] { "the stock was good today", "awful news", "   ", "market okay $ + up", string.Join(' ', Enumerable.Repeat("profit", 200)) };
        var probeData = ml.Data.LoadFromEnumerable(probe.Select(p => new { Sentence1 = p }));
        var expected = Scores(ml, model.Transform(probeData));
        var zip = Path.Combine(temp.Path, "model.zip");
        ml.Model.Save(model, probeData.Schema, zip);
        using (var archive = ZipFile.OpenRead(zip))
            Assert.Contains(archive.Entries, e => e.FullName.EndsWith("Weights.safetensors"));

        var (code, values, output) = ChildProcess.LoadAndScore(zip, new[] { "Sentence1" }, probe.Select(p => new[] { p }), "Score", "PredictedLabel");
        Assert.True(code == 0, output);
        Assert.Equal("False", values["lora_loaded_before_load"]);
        var actual = values["Score"].Split(';').Select(r => r.Split(' ').Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray()).ToArray();
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            for (int c = 0; c < 3; c++) Assert.InRange(Math.Abs(expected[i][c] - actual[i][c]), 0, 1e-5);
        var expectedLabels = model.Transform(probeData).GetColumn<uint>("PredictedLabel").Select(k => k.ToString(CultureInfo.InvariantCulture));
        Assert.Equal(expectedLabels, values["PredictedLabel"].Split(';'));

        // and in this process, through mlContext.Model.Load + PredictionEngine
        var loaded = new MLContext().Model.Load(zip, out _);
        var engine = new MLContext().Model.CreatePredictionEngine<SentenceOnly, Prediction>(loaded);
        Assert.Equal(expected[1], engine.Predict(new SentenceOnly { Sentence1 = probe[1] }).Score, new FloatTolerance(1e-5f));
    }

    [Fact]
    public void DamagedZipGivesAClearError()
    {
        var (ml, data, _) = Data(ToyData.Sentiment(1));
        var model = ml.Transforms.LoraFineTune(Options(epochs: 1)).Fit(data);
        var zip = Path.Combine(temp.Path, "model.zip");
        ml.Model.Save(model, data.Schema, zip);

        var damaged = Path.Combine(temp.Path, "damaged.zip");
        using (var src = ZipFile.OpenRead(zip))
        using (var dst = ZipFile.Open(damaged, ZipArchiveMode.Create))
            foreach (var e in src.Entries)
            {
                using var input = e.Open();
                var bytes = new MemoryStream();
                input.CopyTo(bytes);
                var b = bytes.ToArray();
                if (e.FullName.EndsWith("Weights.safetensors")) b[b.Length / 2] ^= 0xFF;
                using var output = dst.CreateEntry(e.FullName).Open();
                output.Write(b);
            }
        var ex = Assert.ThrowsAny<Exception>(() => new MLContext().Model.Load(damaged, out _));
        Assert.Contains("Weights.safetensors", Flatten(ex));
        Assert.Contains("damaged", Flatten(ex));

        var truncated = Path.Combine(temp.Path, "truncated.zip");
        var all = File.ReadAllBytes(zip);
        File.WriteAllBytes(truncated, all[..(all.Length / 3)]);
        var ex2 = Assert.ThrowsAny<Exception>(() => new MLContext().Model.Load(truncated, out _));
        Assert.IsAssignableFrom<InvalidDataException>(ex2 is InvalidDataException ? ex2 : ex2.InnerException);
    }

    private static string Flatten(Exception e) => e.InnerException is null ? e.Message : e.Message + " | " + Flatten(e.InnerException);

    [Fact]
    public void PredictionEnginesOnSeveralThreadsAgreeWithTransform()
    {
        var (ml, data, _) = Data(ToyData.Sentiment());
        var model = ml.Transforms.LoraFineTune(Options(epochs: 2)).Fit(data);
        var texts = ToyData.Sentiment().Select(r => r.Sentence1).ToArray();
        var expected = Scores(ml, model.Transform(ml.Data.LoadFromEnumerable(texts.Select(t => new SentenceOnly { Sentence1 = t }))));
        var results = new float[texts.Length][];
        Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, worker =>
        {
            var engine = ml.Model.CreatePredictionEngine<SentenceOnly, Prediction>(model);   // one engine per thread
            for (int i = worker; i < texts.Length; i += 4) results[i] = engine.Predict(new SentenceOnly { Sentence1 = texts[i] }).Score;
        });
        for (int i = 0; i < texts.Length; i++) Assert.Equal(expected[i], results[i], new FloatTolerance(1e-5f));
    }

    [Fact]
    public void CancellationStopsMidEpochAndTheRunResumesToTheSameModel()
    {
        var rows = ToyData.Sentiment(6);
        var (ml, data, _) = Data(rows);
        var checkpoints = Path.Combine(temp.Path, "ckpt");
        var uninterrupted = ml.Transforms.LoraFineTune(Options(epochs: 3)).Fit(data);

        using var cts = new CancellationTokenSource();
        var reports = new List<TrainingProgress>();
        var cancelled = Options(epochs: 3);
        cancelled.CheckpointDirectory = checkpoints;
        cancelled.CancellationToken = cts.Token;
        cancelled.Progress = new SyncProgress(p => { reports.Add(p); if (p.Step >= 1 && p.Phase == TrainingPhase.Training) cts.Cancel(); });
        Assert.ThrowsAny<OperationCanceledException>(() => ml.Transforms.LoraFineTune(cancelled).Fit(data));
        Assert.Equal(1, reports[^1].Epoch);
        Assert.True(File.Exists(Path.Combine(checkpoints, "checkpoint", "state.json")));
        Assert.Empty(Directory.GetDirectories(checkpoints, "*.tmp-*"));

        var resumedOptions = Options(epochs: 3);
        resumedOptions.CheckpointDirectory = checkpoints;
        var resumed = ml.Transforms.LoraFineTune(resumedOptions).Fit(data);
        Assert.True(resumed.TrainingHistory!.Resumed);
        Assert.Equal(uninterrupted.TrainingHistory!.StepLosses.Count, resumed.TrainingHistory.StepLosses.Count);
        var a = Scores(ml, uninterrupted.Transform(data));
        var b = Scores(ml, resumed.Transform(data));
        for (int i = 0; i < a.Length; i++) Assert.Equal(a[i], b[i], new FloatTolerance(1e-5f));
        Assert.False(Directory.Exists(Path.Combine(checkpoints, "checkpoint")));   // a finished run leaves nothing to resume
    }

    [Fact]
    public void BadInputGivesErrorsThatNameTheColumnOrRow()
    {
        var (ml, data, keyMap) = Data(ToyData.Sentiment(1));
        var raw = ml.Data.LoadFromEnumerable(ToyData.Sentiment(1));
        var est = ml.Transforms.LoraFineTune(Options(epochs: 1));

        var missing = Assert.ThrowsAny<ArgumentException>(() => ml.Transforms.LoraFineTune(new LoraTextClassificationOptions
        { BaseModel = PretrainedModel.FromHuggingFaceFolder(baseFolder), LabelColumnName = "Sentiment" }).Fit(data));
        Assert.Contains("'Sentiment'", missing.Message);

        var notKey = Assert.ThrowsAny<ArgumentException>(() => est.Fit(raw));
        Assert.Contains("'Label'", notKey.Message);
        Assert.Contains("key", notKey.Message);

        var numbers = ml.Data.LoadFromEnumerable(new[] { new { Sentence1 = 1.5f, Label = "a" }, new { Sentence1 = 2f, Label = "b" } });
        var numbersKeyed = ml.Transforms.Conversion.MapValueToKey("Label").Fit(numbers).Transform(numbers);
        var notText = Assert.ThrowsAny<ArgumentException>(() => est.Fit(numbersKeyed));
        Assert.Contains("'Sentence1'", notText.Message);
        Assert.Contains("String", notText.Message);

        var emptyKeyed = keyMap.Transform(ml.Data.LoadFromEnumerable(Array.Empty<ToyRow>()));
        Assert.Contains("no rows", Assert.Throws<InvalidOperationException>(() => est.Fit(emptyKeyed)).Message);

        var schemaError = Assert.ThrowsAny<ArgumentException>(() => est.GetOutputSchema(Microsoft.ML.Lora.Pipeline.SchemaShapes.From(raw.Schema)));
        Assert.Contains("'Label'", schemaError.Message);
    }

    [Fact]
    public void EmptyAndOverlongTextsHaveADefinedResultAndAreLogged()
    {
        var rows = ToyData.Sentiment(1).Concat(new[]
        {
            new ToyRow { Sentence1 = "", Label = "neutral" },
            new ToyRow { Sentence1 = "   \n\t ", Label = "neutral" },
            new ToyRow { Sentence1 = string.Join(' ', Enumerable.Repeat("good news", 400)), Label = "positive" },
        }).ToArray();
        var (ml, data, _) = Data(rows);
        var log = new List<string>();
        ml.Log += (_, e) => { lock (log) log.Add(e.Message); };
        var model = ml.Transforms.LoraFineTune(Options(epochs: 1)).Fit(data);
        Assert.True(log.Any(m => m.Contains("2 row(s) of the training data have empty text")), string.Join("\n", log.Where(m => m.Contains("row"))));
        Assert.Contains(log, m => m.Contains("1 of") && m.Contains("truncated") && m.Contains($"row {rows.Length - 1}"));
        var scores = Scores(ml, model.Transform(data));
        Assert.Equal(rows.Length, scores.Length);
        Assert.All(scores, s => Assert.Equal(1.0, s.Sum(), 4));
    }

    [Fact]
    public void PeftAdapterExportedAndImportedScoresTheSame()
    {
        var (ml, data, _) = Data(ToyData.Sentiment(1));
        var model = ml.Transforms.LoraFineTune(Options(epochs: 2)).Fit(data);
        var adapter = Path.Combine(temp.Path, "adapter");
        model.SaveAdapter(adapter);
        Assert.True(File.Exists(Path.Combine(adapter, "adapter_config.json")));
        var estimator = ml.Transforms.LoraFineTune(Options());
        var imported = estimator.FromPeftAdapter(adapter);   // the label names come from the config.json beside the adapter
        var a = Scores(ml, model.Transform(data));
        var b = Scores(ml, imported.Transform(data));
        for (int i = 0; i < a.Length; i++) Assert.Equal(a[i], b[i], new FloatTolerance(1e-6f));
        Assert.Equal(model.LabelNames, imported.LabelNames);
        Assert.Null(imported.TrainingHistory);
        var wrong = Assert.Throws<ArgumentException>(() => estimator.FromPeftAdapter(adapter, new[] { "a", "b" }));
        Assert.Contains("3 classes", wrong.Message);
    }

    [Fact]
    public void MulticlassCatalogEntryTrainsTheSameEstimator()
    {
        var (ml, data, _) = Data(ToyData.Sentiment(1));
        var est = ml.MulticlassClassification.Trainers.LoraTextClassification(epochs: 1, lora: new LoraOptions { Rank = 2 });
        Assert.IsType<LoraTextClassificationEstimator>(est);
        var shape = est.GetOutputSchema(Microsoft.ML.Lora.Pipeline.SchemaShapes.From(data.Schema));
        Assert.Equal(SchemaShape.Column.VectorKind.Vector, shape.Single(c => c.Name == "Score").Kind);
        Assert.True(shape.Single(c => c.Name == "PredictedLabel").IsKey);
    }

    public sealed class SentenceOnly { public string Sentence1 { get; set; } = ""; }
    public sealed class Prediction { public float[] Score { get; set; } = Array.Empty<float>(); public uint PredictedLabel { get; set; } }

    private sealed class FloatTolerance(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= tolerance;
        public int GetHashCode(float obj) => 0;
    }
}
