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
/// A fine-tuned text classifier. <c>Transform</c> scores in batches (sorted by length inside a look-ahead window, results
/// in input order) with the adapter merged into the weights; <c>PredictionEngine</c> works too (one engine per thread:
/// engines are not thread-safe, but any number of them may share this transformer concurrently). Saves into and loads from
/// an ML.NET .zip with a plain <c>mlContext.Model.Load</c>.
/// </summary>
public sealed class LoraTextClassificationTransformer : ITransformer, ICanSaveModel
{
    internal const string LoaderSignature = "LoraTextClassXf";
    private const int LookAheadBatches = 8;

    private readonly IHost host;
    private readonly FineTunedModel model;
    private readonly TextClassificationColumns columns;
    private readonly KeyValueNames? labels;
    private readonly int scoringBatchSize;

    internal LoraTextClassificationTransformer(IHostEnvironment env, FineTunedModel model, TextClassificationColumns columns, int classes,
        KeyValueNames? labels, float temperature, int scoringBatchSize, TrainingHistory? history)
    {
        host = env.Register(nameof(LoraTextClassificationTransformer));
        this.model = model;
        this.columns = columns;
        this.labels = labels;
        this.scoringBatchSize = scoringBatchSize;
        ClassCount = classes;
        Temperature = temperature;
        TrainingHistory = history;
    }

    /// <summary>Number of classes.</summary>
    public int ClassCount { get; }

    /// <summary>The label values of the classes in key order (key 1 first), as text; null when the label column had none.</summary>
    public IReadOnlyList<string>? LabelNames => labels?.Values;

    /// <summary>Temperature applied to the logits before softmax (1 = uncalibrated).</summary>
    public float Temperature { get; }

    /// <summary>Per-epoch losses and metrics, step losses and the kept epoch; null for a model loaded from a file.</summary>
    public TrainingHistory? TrainingHistory { get; }

    /// <summary>The fine-tuning method used.</summary>
    public FineTuningMethod Method => model.Method;

    /// <summary>Trainable versus total parameters of the fine-tuned model.</summary>
    public TrainableParameterReport Parameters => model.Parameters;

    /// <summary>The base model (Hugging Face id or folder).</summary>
    public string BaseModelName => model.BaseModelName;

    /// <inheritdoc/>
    public bool IsRowToRowMapper => true;

    /// <inheritdoc/>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => Scorer(inputSchema).OutputSchema(inputSchema);

    /// <inheritdoc/>
    public IDataView Transform(IDataView input)
        => new BatchScoringDataView<(string, string?), float[]>(input, Scorer(input.Schema), scoringBatchSize * LookAheadBatches);

    /// <inheritdoc/>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema)
        => new BatchScoringRowMapper<(string, string?), float[]>(inputSchema, Scorer(inputSchema));

    private TextClassificationScorer Scorer(DataViewSchema input)
        => new(input, model, columns, ClassCount, labels, Temperature, scoringBatchSize, host);

    /// <summary>
    /// Writes the LoRA adapter and the trained head in PEFT's format (<c>adapter_config.json</c>,
    /// <c>adapter_model.safetensors</c>), loadable in Python with <c>PeftModel.from_pretrained</c> on the same base.
    /// </summary>
    /// <exception cref="InvalidOperationException">The model was not fine-tuned with LoRA.</exception>
    public void SaveAdapter(string folder)
    {
        if (model.Method is not LoraMethod lora) throw new InvalidOperationException($"Only LoRA models have a PEFT adapter; this one was fine-tuned with {model.Method.Name}.");
        PeftAdapter.Save(model.Model, lora.Options, folder, model.BaseModelName);
    }

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
        var model = new SequenceClassificationModel(loaded.Encoder, classes, poolerIsHead: loaded.NewlyInitialized.Count > 0);
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
    /// (labelled rows, ideally held out), minimising their negative log-likelihood. Accuracy is unchanged.
    /// </summary>
    public LoraTextClassificationTransformer Calibrate(IDataView data)
    {
        var (logits, labelsOf) = LabelledLogits(data);
        float t = TemperatureScaling.Fit(logits, labelsOf);
        return new LoraTextClassificationTransformer(host, model, columns, ClassCount, labels, t, scoringBatchSize, TrainingHistory);
    }

    /// <summary>Calibration of this transformer's <c>Score</c> on labelled <paramref name="data"/>: ECE (15 bins), reliability table, NLL, accuracy.</summary>
    public CalibrationReport EvaluateCalibration(IDataView data, int bins = 15)
    {
        var (logits, labelsOf) = LabelledLogits(data);
        var probabilities = logits.Select(l => TextClassificationScoring.Probabilities(l, Temperature)).ToList();
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
        var rows = new List<(int[], int[])>();
        var labelsOf = new List<int>();
        uint key = 0;
        while (cursor.MoveNext())
        {
            getLabel(ref key);
            if (key == 0) throw new InvalidDataException($"Row {cursor.Position}: label column '{columns.Label}' has a missing key.");
            var (text, pair) = read();
            var enc = model.Tokenizer.Encode(text, pair, model.MaxSequenceLength);
            rows.Add((enc.InputIds.ToArray(), enc.TokenTypeIds.ToArray()));
            labelsOf.Add((int)key - 1);
        }
        if (rows.Count == 0) throw new InvalidOperationException("The data has no rows.");
        return (TextClassificationScoring.Logits(model, rows, scoringBatchSize), labelsOf);
    }

    // ---- ML.NET persistence ----

    private static VersionInfo GetVersionInfo() => new(
        modelSignature: "LORATXCL", verWrittenCur: 0x00010001, verReadableCur: 0x00010001, verWeCanReadBack: 0x00010001,
        loaderAssemblyName: typeof(LoraTextClassificationTransformer).Assembly.FullName, loaderSignature: LoaderSignature);

    void ICanSaveModel.Save(ModelSaveContext ctx)
    {
        ctx.CheckAtModel();
        ctx.SetVersionInfo(GetVersionInfo());
        var settings = new JsonObject
        {
            ["sentence1"] = columns.Sentence1, ["sentence2"] = columns.Sentence2, ["score"] = columns.Score,
            ["predicted_label"] = columns.PredictedLabel, ["label"] = columns.Label, ["classes"] = ClassCount,
            ["temperature"] = Temperature, ["scoring_batch_size"] = scoringBatchSize,
            ["label_type"] = labels?.ItemTypeName, ["label_values"] = labels is null ? null : new JsonArray(labels.Values.Select(v => (JsonNode?)v).ToArray()),
        };
        ModelPackage.Save(ctx, model, TaskNames.TextClassification, settings);
    }

    // Found by ML.NET's ComponentCatalog through the LoadableClass attribute: no registration call is needed.
    private static LoraTextClassificationTransformer Create(IHostEnvironment env, ModelLoadContext ctx)
    {
        ctx.CheckAtModel(GetVersionInfo());
        TorchRuntime.ConfigureThreads(null);
        var device = LoadDevice.For(env);
        var (fine, s) = ModelPackage.Load(ctx, TaskNames.TextClassification,
            (enc, n, poolerIsHead) => new SequenceClassificationModel(enc, n, poolerIsHead), device);
        var columns = new TextClassificationColumns(s["sentence1"]!.GetValue<string>(), s["sentence2"]?.GetValue<string>(),
            s["score"]!.GetValue<string>(), s["predicted_label"]!.GetValue<string>(), s["label"]!.GetValue<string>());
        var labels = s["label_type"]?.GetValue<string>() is { } type
            ? new KeyValueNames(type, s["label_values"]!.AsArray().Select(v => v!.GetValue<string>()).ToArray())
            : null;
        return new LoraTextClassificationTransformer(env, fine, columns, s["classes"]!.GetValue<int>(), labels,
            s["temperature"]!.GetValue<float>(), s["scoring_batch_size"]!.GetValue<int>(), null);
    }
}
