using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Lora;
using Microsoft.ML.Transforms;
using Samples.Common;

namespace SentimentAnalyst;

/// <summary>The training side: load the data, build the pipeline, fit, calibrate, evaluate, save the model and the charts.</summary>
public static class ModelBuilder
{
    /// <summary>Share of the training file held out as the test set when no test file is given.</summary>
    public const double TestFraction = 0.2;

    /// <summary>
    /// Share of the training rows kept aside for validation: the per-epoch score (the best epoch is kept) and the
    /// temperature of the calibration. The test set is never used for either.
    /// </summary>
    public const double ValidationFraction = 0.1;

    /// <summary>Runs the whole training side and returns what the console and the RESULT line report.</summary>
    public static TrainingOutcome Train(SentimentSettings settings, TrainingProgressBar progress)
    {
        var ml = new MLContext(seed: settings.Seed);
        LibraryLog.Attach(ml, progress);
        var (train, validation, test) = LoadData(ml, settings);

        // Labels become keys, sorted by value so that class order does not depend on row order.
        var trainView = ml.Data.LoadFromEnumerable(train);
        var labelToKey = ml.Transforms.Conversion.MapValueToKey("Label", keyOrdinality: ValueToKeyMappingEstimator.KeyOrdinality.ByValue)
            .Fit(ml.Data.LoadFromEnumerable(train.Concat(validation)));
        var validationView = labelToKey.Transform(ml.Data.LoadFromEnumerable(validation));
        var testView = labelToKey.Transform(ml.Data.LoadFromEnumerable(test));

        var options = new LoraTextClassificationOptions
        {
            Sentence1ColumnName = nameof(ModelInput.Text),
            LabelColumnName = "Label",
            BaseModel = settings.BaseModel,
            // Adapters on every Linear of the encoder (not just query/value) and BERT's pooler trained in full: the
            // pooler of a sentence-embedding model was never tuned for its [CLS] vector, and a classifier needs one.
            Method = FineTuningMethod.Lora(new LoraOptions
            {
                Rank = settings.LoraRank, Alpha = 2 * settings.LoraRank, TargetAllLinear = true, ModulesToSave = ["pooler"],
            }),
            Epochs = settings.Epochs,
            BatchSize = settings.BatchSize,
            LearningRate = settings.LearningRate,
            MaxSequenceLength = settings.MaxLength,
            Precision = settings.Precision,
            ValidationSet = validationView,
            Device = settings.Device,
            Seed = settings.Seed,
            Progress = progress,
        };
        Console.WriteLine();
        Console.WriteLine($"Fine-tuning {settings.BaseModel.Name} with LoRA r={settings.LoraRank}: {settings.Epochs} epoch(s), batch {settings.BatchSize}, learning rate {settings.LearningRate.ToString(CultureInfo.InvariantCulture)}, max {settings.MaxLength} tokens, {settings.Precision}");
        var model = ml.Transforms.LoraFineTune(options).Fit(labelToKey.Transform(trainView));
        var history = model.TrainingHistory!;
        Console.WriteLine($"  kept the weights of epoch {history.BestEpoch} of {history.Epochs.Count} (best validation accuracy)");

        // Temperature scaling on the validation rows: accuracy stays, probabilities stop over-claiming.
        var calibrated = model.Calibrate(validationView);
        var classNames = model.LabelNames!;

        // Scored once (cached): ML.NET's evaluation and the calibration of the calibrated scores read the same rows.
        var scored = ml.Data.Cache(calibrated.Transform(testView));
        var metrics = ml.MulticlassClassification.Evaluate(scored, labelColumnName: "Label");
        var after = CalibrationOf(scored, calibrated.ClassCount);   // what calibrated.EvaluateCalibration(testView) gives, without scoring again
        var before = model.EvaluateCalibration(testView);
        var report = TestReport.From(metrics, classNames, before, after, calibrated.Temperature, test.Count);
        report.WriteTo(Console.Out);

        Directory.CreateDirectory(settings.OutputFolder);
        string zip = Path.Combine(settings.OutputFolder, "model.zip");
        SaveScoringModel(ml, calibrated, validationView, zip);
        string adapter = Path.Combine(settings.OutputFolder, "adapter");
        model.SaveAdapter(adapter);
        Charts.LossCurve(history, Path.Combine(settings.OutputFolder, "loss.png"));
        Charts.ConfusionMatrix(metrics.ConfusionMatrix.Counts, classNames, Path.Combine(settings.OutputFolder, "confusion-matrix.png"));
        Charts.ReliabilityDiagram(before, after, Path.Combine(settings.OutputFolder, "reliability.png"));
        Console.WriteLine();
        Console.WriteLine($"Saved to {settings.OutputFolder}:");
        Console.WriteLine("  model.zip              the calibrated model; load it with mlContext.Model.Load (see ConsumeModel.cs)");
        Console.WriteLine("  adapter/               the LoRA adapter and head in PEFT format (PeftModel.from_pretrained in Python)");
        Console.WriteLine("  loss.png, confusion-matrix.png, reliability.png");
        return new TrainingOutcome(zip, report);
    }

    private static (List<LabelledText> Train, List<LabelledText> Validation, List<LabelledText> Test) LoadData(MLContext ml, SentimentSettings s)
    {
        var all = Read(ml, s, s.DataFile);
        List<LabelledText> test;
        string testFrom;
        if (s.TestFile is { } testFile)
        {
            test = Read(ml, s, testFile);
            testFrom = Path.GetFileName(testFile);
        }
        else
        {
            (all, test) = StratifiedSplit.Split(all, TestFraction, s.Seed);
            testFrom = $"a stratified {TestFraction:P0} of {Path.GetFileName(s.DataFile)}";
        }
        var (train, validation) = StratifiedSplit.Split(all, ValidationFraction, s.Seed + 1);

        var known = all.Select(r => r.Label).ToHashSet();
        if (test.FirstOrDefault(r => !known.Contains(r.Label)) is { } unknown)
            throw new InvalidDataException($"{s.TestFile}: label '{unknown.Label}' never occurs in the training data {s.DataFile}; the model can only predict the classes it was trained on.");
        if (known.Count < 2)
            throw new InvalidDataException($"{s.DataFile}: column '{s.LabelColumn}' has a single label value ('{known.First()}'); classification needs at least two classes.");

        Console.WriteLine($"Training data: {Path.GetFileName(s.DataFile)}; test data: {testFrom}{(s.Limit is { } n ? $" (--limit {n}: a stratified sample of each)" : "")}");
        var table = new TextTable("class", "train", "validation", "test");
        foreach (var label in known.Order(StringComparer.Ordinal))
            table.Add(label, Count(train, label), Count(validation, label), Count(test, label));
        table.Add("all", train.Count.ToString("N0", CultureInfo.InvariantCulture), validation.Count.ToString("N0", CultureInfo.InvariantCulture), test.Count.ToString("N0", CultureInfo.InvariantCulture));
        table.WriteTo(Console.Out);
        return (train, validation, test);
    }

    private static string Count(List<LabelledText> rows, string label) => rows.Count(r => r.Label == label).ToString("N0", CultureInfo.InvariantCulture);

    private static List<LabelledText> Read(MLContext ml, SentimentSettings s, string path)
    {
        var rows = LabelledTextFile.Read(ml, path, s.TextColumn, s.LabelColumn);
        foreach (var row in rows)
            if (s.LabelNames.TryGetValue(row.Label, out var name)) row.Label = name;
        return s.Limit is { } limit ? StratifiedSplit.Sample(rows, limit, s.Seed) : rows;
    }

    private static CalibrationReport CalibrationOf(IDataView scored, int classes)
    {
        var probabilities = scored.GetColumn<float[]>("Score").SelectMany(p => p).ToArray();
        var labels = scored.GetColumn<uint>("Label").Select(key => (int)key - 1).ToArray();
        return CalibrationMetrics.Compute(probabilities, classes, labels);
    }

    // The saved model reads ModelInput (just Text) and ends with MapKeyToValue, so PredictedLabel is the class name.
    private static void SaveScoringModel(MLContext ml, LoraTextClassificationTransformer calibrated, IDataView sample, string path)
    {
        var keyToName = ml.Transforms.Conversion.MapKeyToValue("PredictedLabel").Fit(calibrated.Transform(sample));
        var scoring = new TransformerChain<ITransformer>(calibrated, keyToName);
        var inputSchema = ml.Data.LoadFromEnumerable(Array.Empty<ModelInput>()).Schema;
        ml.Model.SaveAtomically(scoring, inputSchema, path);   // old or new model.zip, never half of one
    }
}

/// <summary>Where the model went and how it scored on the test set.</summary>
public sealed record TrainingOutcome(string ModelPath, TestReport Report);
