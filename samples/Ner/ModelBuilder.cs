using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Lora;
using Samples.Common;

namespace Ner;

/// <summary>The training side: read CoNLL files, fit LoRA NER, evaluate entity F1 on the test set, save the model and charts.</summary>
public static class ModelBuilder
{
    /// <summary>Share of the training sentences held out as the test set when no test file is given.</summary>
    public const double TestFraction = 0.2;

    /// <summary>Share of the training sentences kept aside to score each epoch (the best epoch is kept).</summary>
    public const double ValidationFraction = 0.1;

    /// <summary>A sentence as the pipeline sees it: words and their IOB2 tags.</summary>
    public sealed class TaggedSentence
    {
        /// <summary>Words.</summary>
        public string[] Tokens { get; set; } = [];
        /// <summary>One IOB2 tag per word.</summary>
        public string[] Tags { get; set; } = [];
    }

    /// <summary>Runs the training side; returns the model path and the test metrics.</summary>
    public static (string ModelPath, NerMetrics Metrics) Train(NerSettings settings, TrainingProgressBar progress)
    {
        var ml = new MLContext(seed: settings.Seed);
        LibraryLog.Attach(ml, progress);
        var (train, validation, test) = LoadData(settings);

        var options = new LoraNerOptions
        {
            SentenceColumnName = nameof(TaggedSentence.Tokens),
            LabelColumnName = nameof(TaggedSentence.Tags),
            BaseModel = settings.BaseModel,
            // Token tagging leans on every layer: adapters on every Linear of the encoder, not just query/value.
            Method = FineTuningMethod.Lora(new LoraOptions { Rank = settings.LoraRank, Alpha = 2 * settings.LoraRank, TargetAllLinear = true }),
            Epochs = settings.Epochs,
            BatchSize = settings.BatchSize,
            LearningRate = settings.LearningRate,
            WarmupFraction = 0.1,
            ValidationSet = ml.Data.LoadFromEnumerable(validation),
            Device = settings.Device,
            Precision = settings.Precision,
            Seed = settings.Seed,
            Progress = progress,
        };
        Console.WriteLine();
        Console.WriteLine($"Fine-tuning {settings.BaseModel.Name} for entity recognition with LoRA r={settings.LoraRank}: {settings.Epochs} epoch(s), batch {settings.BatchSize}, learning rate {settings.LearningRate.ToString(CultureInfo.InvariantCulture)}, {settings.Precision}");
        var model = ml.Transforms.LoraFineTune(options).Fit(ml.Data.LoadFromEnumerable(train));
        var history = model.TrainingHistory!;
        Console.WriteLine($"  kept the weights of epoch {history.BestEpoch} of {history.Epochs.Count} (best validation entity F1)");

        var scored = model.Transform(ml.Data.LoadFromEnumerable(test));
        var metrics = ml.MulticlassClassification.EvaluateNer(scored, labelColumnName: nameof(TaggedSentence.Tags));
        Report(metrics);

        Directory.CreateDirectory(settings.OutputFolder);
        string zip = Path.Combine(settings.OutputFolder, "model.zip");
        // The saved model reads ModelInput (just Tokens) and ends with MapKeyToValue, so the tags come out as strings.
        var toTags = ml.Transforms.Conversion.MapKeyToValue(nameof(ModelOutput.PredictedTags), "PredictedLabel").Fit(scored);
        var inputSchema = ml.Data.LoadFromEnumerable(Array.Empty<ModelInput>()).Schema;
        ml.Model.SaveAtomically(new TransformerChain<ITransformer>(model, toTags), inputSchema, zip);   // old or new model.zip, never half of one
        model.SaveAdapter(Path.Combine(settings.OutputFolder, "adapter"));
        Charts.LossCurve(history, Path.Combine(settings.OutputFolder, "loss.png"), "validation entity F1");
        var types = metrics.PerType.Keys.ToList();
        Charts.GroupedBars(types,
        [
            ("precision", types.Select(t => metrics.PerType[t].Precision).ToList()),
            ("recall", types.Select(t => metrics.PerType[t].Recall).ToList()),
            ("F1", types.Select(t => metrics.PerType[t].F1).ToList()),
        ], Path.Combine(settings.OutputFolder, "entity-f1.png"), $"Entities on the test set (micro F1 {metrics.MicroF1:F3})");
        Console.WriteLine();
        Console.WriteLine($"Saved to {settings.OutputFolder}:");
        Console.WriteLine("  model.zip        the model; load it with mlContext.Model.Load (see ConsumeModel.cs)");
        Console.WriteLine("  adapter/         the LoRA adapter and head in PEFT format (TOKEN_CLS)");
        Console.WriteLine("  loss.png, entity-f1.png");
        return (zip, metrics);
    }

    private static void Report(NerMetrics m)
    {
        Console.WriteLine();
        Console.WriteLine($"Test set: {m.SentenceCount:N0} sentences, {m.GoldEntityCount:N0} entities (strict span and type match, conlleval)");
        var table = new TextTable("type", "precision", "recall", "F1", "support");
        foreach (var (type, t) in m.PerType)
            table.Add(type, F(t.Precision), F(t.Recall), F(t.F1), t.Support.ToString("N0", CultureInfo.InvariantCulture));
        table.Add("micro", F(m.MicroPrecision), F(m.MicroRecall), F(m.MicroF1), m.GoldEntityCount.ToString("N0", CultureInfo.InvariantCulture));
        table.WriteTo(Console.Out);
        Console.WriteLine($"  token accuracy {F(m.TokenAccuracy)}");
    }

    private static string F(double v) => v.ToString("F3", CultureInfo.InvariantCulture);

    private static (List<TaggedSentence> Train, List<TaggedSentence> Validation, List<TaggedSentence> Test) LoadData(NerSettings s)
    {
        // Each file in its own scheme (given, or detected from its tags), read as IOB2.
        List<TaggedSentence> Read(string path, TagScheme? given, out TagScheme scheme)
        {
            scheme = given ?? TagSchemeDetector.Detect(ConllReader.Read(path).Select(c => c.Tags));
            var sentences = ConllReader.Read(path, scheme).Select(c => new TaggedSentence { Tokens = c.Words.ToArray(), Tags = c.Tags.ToArray() });
            return (s.Limit is { } n ? sentences.Take(n) : sentences).ToList();
        }
        var all = Read(s.DataFile, s.Scheme, out var trainScheme);
        if (all.Count < 3) throw new InvalidDataException($"{s.DataFile}: {all.Count} sentence(s); training needs at least 3 (train, validation, test).");
        var rng = new Random(s.Seed);
        List<TaggedSentence> test;
        TagScheme testScheme = trainScheme;
        if (s.TestFile is { } testFile) test = Read(testFile, s.TestScheme, out testScheme);
        else
        {
            var shuffled = all.OrderBy(_ => rng.Next()).ToList();
            int n = Math.Max(1, (int)(shuffled.Count * TestFraction));
            (test, all) = (shuffled[..n], shuffled[n..]);
        }
        var order = all.OrderBy(_ => rng.Next()).ToList();
        int v = Math.Max(1, (int)(order.Count * ValidationFraction));
        var (validation, train) = (order[..v], order[v..]);
        string Tags(TagScheme scheme, TagScheme? given) => $"{scheme.ToString().ToUpperInvariant()} tags{(given is null ? ", detected" : "")}";
        Console.WriteLine($"Training data: {Path.GetFileName(s.DataFile)} ({Tags(trainScheme, s.Scheme)}); test data: {(s.TestFile is null ? $"{TestFraction:P0} of it" : $"{Path.GetFileName(s.TestFile)} ({Tags(testScheme, s.TestScheme)})")}; read as IOB2{(s.Limit is { } l ? $" (--limit {l} sentences per file)" : "")}");
        var table = new TextTable("set", "sentences", "words", "entities");
        foreach (var (name, rows) in new[] { ("train", train), ("validation", validation), ("test", test) })
            table.Add(name, rows.Count.ToString("N0", CultureInfo.InvariantCulture), rows.Sum(r => r.Tokens.Length).ToString("N0", CultureInfo.InvariantCulture),
                rows.Sum(r => r.Tags.Count(t => t.StartsWith("B-", StringComparison.Ordinal))).ToString("N0", CultureInfo.InvariantCulture));
        table.WriteTo(Console.Out);
        return (train, validation, test);
    }
}
