using System.Text.Json.Nodes;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Lora.Calibration;
using Microsoft.ML.Lora.Checkpoints;
using Microsoft.ML.Lora.Lora;
using Microsoft.ML.Lora.Methods;
using Microsoft.ML.Lora.Models;
using Microsoft.ML.Lora.Native;
using Microsoft.ML.Lora.Persistence;
using Microsoft.ML.Lora.Pipeline;
using Microsoft.ML.Lora.TextClassification;
using Microsoft.ML.Lora.Training;
using Microsoft.ML.Runtime;
using TorchSharp;

[assembly: LoadableClass(typeof(LoraTextClassificationTransformer), null, typeof(SignatureLoadModel),
    "LoRA text classification", LoraTextClassificationTransformer.LoaderSignature)]

namespace Microsoft.ML.Lora.TextClassification;

/// <summary>
/// A fine-tuned text classifier: adds <c>Score</c> (class probabilities) and <c>PredictedLabel</c> (the label's key type).
/// Scoring, PredictionEngine use, PEFT export and .zip persistence are those of every <see cref="LoraFineTunedTransformer"/>.
/// </summary>
public sealed class LoraTextClassificationTransformer : LoraFineTunedTransformer
{
    internal const string LoaderSignature = "LoraTextClassXf";

    private readonly TextClassificationColumns columns;
    private readonly KeyValueNames? labels;

    internal LoraTextClassificationTransformer(IHostEnvironment env, FineTunedModel model, TextClassificationColumns columns, int classes,
        KeyValueNames? labels, float temperature, int scoringBatchSize, TrainingHistory? history)
        : base(env, nameof(LoraTextClassificationTransformer), model, scoringBatchSize, history)
    {
        this.columns = columns;
        this.labels = labels;
        ClassCount = classes;
        Temperature = temperature;
    }

    /// <summary>Number of classes.</summary>
    public int ClassCount { get; }

    /// <summary>The label values of the classes in key order (key 1 first), as text; null when the label column had none.</summary>
    public IReadOnlyList<string>? LabelNames => labels?.Values;

    /// <summary>Temperature applied to the logits before softmax (1 = uncalibrated).</summary>
    public float Temperature { get; }

    private protected override IRowScorer CreateScorer(DataViewSchema input) => Scorer(input);

    private TextClassificationScorer Scorer(DataViewSchema input)
        => new(input, Model, columns, ClassCount, labels, Temperature, ScoringBatchSize, Host);

    /// <summary>
    /// Builds a transformer from a PEFT LoRA adapter folder (<c>adapter_config.json</c> + <c>adapter_model.safetensors</c>, e.g.
    /// trained in Python with <c>peft</c> on a <c>*ForSequenceClassification</c> model, task type SEQ_CLS) and its base model.
    /// </summary>
    /// <param name="mlContext">The ML.NET context.</param>
    /// <param name="adapterFolder">The adapter folder.</param>
    /// <param name="baseModel">The base the adapter was trained on (default: the embedded MiniLM).</param>
    /// <param name="labelNames">Class names in index order (become the KeyValues of PredictedLabel); null = none.</param>
    /// <param name="sentence1ColumnName">Input text column.</param>
    /// <param name="sentence2ColumnName">Optional second text column.</param>
    /// <param name="maxSequenceLength">Longest input in tokens; null = the base model's.</param>
    /// <exception cref="InvalidDataException">The adapter does not fit the base (names the key and shapes).</exception>
    public static LoraTextClassificationTransformer FromPeftAdapter(MLContext mlContext, string adapterFolder, PretrainedModel? baseModel = null,
        IReadOnlyList<string>? labelNames = null, string sentence1ColumnName = "Sentence1", string? sentence2ColumnName = null, int? maxSequenceLength = null)
    {
        baseModel ??= PretrainedModel.MiniLmL6V2;
        var config = PeftAdapter.ReadConfig(adapterFolder);
        if (config.TaskType != "SEQ_CLS")
            throw new InvalidDataException($"{Path.Combine(adapterFolder, PeftAdapterConfig.FileName)}: task_type is '{config.TaskType}', expected SEQ_CLS.");
        var encoderConfig = baseModel.ReadConfig();
        int classes = PeftAdapter.HeadOutputSize(adapterFolder, encoderConfig.Architecture);
        if (labelNames is not null && labelNames.Count != classes)
            throw new ArgumentException($"The adapter's head has {classes} classes but {labelNames.Count} label names were given.", nameof(labelNames));
        TorchRuntime.ConfigureThreads(null);
        var loaded = baseModel.LoadEncoder(addPoolingLayer: true);
        bool poolerSaved = PeftAdapter.HasTensor(adapterFolder, $"{encoderConfig.Names.Root}.pooler.dense.weight");
        var model = new SequenceClassificationModel(loaded.Encoder, classes, poolerIsHead: loaded.NewlyInitialized.Count > 0 || poolerSaved);
        var options = PeftAdapter.Load(model, adapterFolder);
        var env = (IHostEnvironment)mlContext;
        var device = LoadDevice.For(env);
        model.to(device);
        var tokenizer = baseModel.LoadTokenizer();
        int maxLength = Math.Min(maxSequenceLength ?? baseModel.DefaultMaxSequenceLength ?? encoderConfig.MaxSequenceLength, encoderConfig.MaxSequenceLength);
        var fine = new FineTunedModel(model, tokenizer, new LoraMethod(options), baseModel.Name, baseModel.IsEmbedded, maxLength, device);
        var columns = new TextClassificationColumns(sentence1ColumnName, sentence2ColumnName, DefaultColumnNames.Score, DefaultColumnNames.PredictedLabel, DefaultColumnNames.Label);
        return new LoraTextClassificationTransformer(env, fine, columns, classes,
            labelNames is null ? null : new KeyValueNames("Text", labelNames.ToArray()), 1f, 32, null);
    }

    /// <summary>
    /// A copy of this transformer whose scores are calibrated by temperature scaling fitted on <paramref name="data"/>
    /// (labelled rows, ideally held out), minimising their negative log-likelihood. Accuracy is unchanged. The temperature
    /// is kept at 1 when it does not beat T = 1 on held-out folds of <paramref name="data"/> by more than noise (see
    /// <see cref="TemperatureScaling.FitCrossValidated(IReadOnlyList{float[]}, IReadOnlyList{int}, int)"/>); the log says which.
    /// </summary>
    public LoraTextClassificationTransformer Calibrate(IDataView data)
    {
        var (logits, labelsOf) = LabelledLogits(data);
        var fit = TemperatureScaling.FitCrossValidated(logits, labelsOf);
        using (var ch = Host.Start(nameof(Calibrate))) ch.Info(fit.Reason);
        return new LoraTextClassificationTransformer(Host, Model, columns, ClassCount, labels, fit.Temperature, ScoringBatchSize, TrainingHistory);
    }

    /// <summary>Calibration of this transformer's <c>Score</c> on labelled <paramref name="data"/>: ECE (15 bins), reliability table, NLL, accuracy.</summary>
    public CalibrationReport EvaluateCalibration(IDataView data, int bins = 15)
    {
        var (logits, labelsOf) = LabelledLogits(data);
        var probabilities = logits.Select(l => Softmax.Probabilities(l, Temperature)).ToList();
        return CalibrationMetrics.Compute(probabilities, labelsOf, bins);
    }

    private (float[][] Logits, List<int> Labels) LabelledLogits(IDataView data)
    {
        var (labelColumn, keyType) = ColumnChecks.RequireKey(data.Schema, columns.Label, "Label");
        if (keyType.Count != (ulong)ClassCount)
            throw new ArgumentOutOfRangeException(columns.Label, $"Label column '{columns.Label}' has {keyType.Count} classes; the model has {ClassCount}.");
        var scorer = Scorer(data.Schema);
        var needed = scorer.InputColumns.Select(n => data.Schema[n]).Append(labelColumn);
        using var cursor = data.GetRowCursor(needed);
        var read = scorer.CreateReader(cursor);
        var getLabel = cursor.GetGetter<uint>(labelColumn);
        var ids = new List<int[]>();
        var types = new List<int[]>();
        var labelsOf = new List<int>();
        uint key = 0;
        while (cursor.MoveNext())
        {
            getLabel(ref key);
            if (key == 0) throw new InvalidDataException($"Row {cursor.Position}: label column '{columns.Label}' has a missing key.");
            var (text, pair) = read();
            var enc = Model.Tokenizer.Encode(text, pair, Model.MaxSequenceLength);
            ids.Add(enc.InputIds.ToArray());
            types.Add(enc.TokenTypeIds.ToArray());
            labelsOf.Add((int)key - 1);
        }
        if (ids.Count == 0) throw new InvalidOperationException("The data has no rows.");
        return (TextClassificationScoring.Logits(Model, ids, types, ScoringBatchSize), labelsOf);
    }

    // ---- ML.NET persistence ----

    private static VersionInfo GetVersionInfo() => new(
        modelSignature: "LORATXCL", verWrittenCur: 0x00010001, verReadableCur: 0x00010001, verWeCanReadBack: 0x00010001,
        loaderAssemblyName: typeof(LoraTextClassificationTransformer).Assembly.FullName, loaderSignature: LoaderSignature);

    private protected override string TaskName => TaskNames.TextClassification;

    private protected override VersionInfo VersionInfo => GetVersionInfo();

    private protected override JsonObject TaskSettings()
    {
        var settings = new JsonObject
        {
            ["sentence1"] = columns.Sentence1, ["sentence2"] = columns.Sentence2, ["score"] = columns.Score,
            ["predicted_label"] = columns.PredictedLabel, ["label"] = columns.Label, ["classes"] = ClassCount,
            ["temperature"] = Temperature, ["scoring_batch_size"] = ScoringBatchSize,
        };
        labels?.WriteTo(settings, "label");
        return settings;
    }

    // Found by ML.NET's ComponentCatalog through the LoadableClass attribute: no registration call is needed.
    private static LoraTextClassificationTransformer Create(IHostEnvironment env, ModelLoadContext ctx)
    {
        var (fine, s) = ModelPackage.Load(env, ctx, GetVersionInfo(), TaskNames.TextClassification,
            (enc, n, poolerIsHead) => new SequenceClassificationModel(enc, n, poolerIsHead));
        var columns = new TextClassificationColumns(s["sentence1"]!.GetValue<string>(), s["sentence2"]?.GetValue<string>(),
            s["score"]!.GetValue<string>(), s["predicted_label"]!.GetValue<string>(), s["label"]!.GetValue<string>());
        return new LoraTextClassificationTransformer(env, fine, columns, s["classes"]!.GetValue<int>(), KeyValueNames.ReadFrom(s, "label"),
            s["temperature"]!.GetValue<float>(), s["scoring_batch_size"]!.GetValue<int>(), null);
    }
}
