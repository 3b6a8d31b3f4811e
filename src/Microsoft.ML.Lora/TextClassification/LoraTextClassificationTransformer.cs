using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Lora;
using Microsoft.ML.Lora.Calibration;
using Microsoft.ML.Lora.Persistence;
using Microsoft.ML.Lora.Pipeline;
using Microsoft.ML.Lora.TextClassification;
using Microsoft.ML.Runtime;

[assembly: LoadableClass(typeof(LoraTextClassificationTransformer), null, typeof(SignatureLoadModel),
    "LoRA text classification", LoraTextClassificationTransformer.LoaderSignature)]

namespace Microsoft.ML.Lora;

/// <summary>
/// A fine-tuned text classifier: adds <c>Score</c> (class probabilities) and <c>PredictedLabel</c> (the label's key type).
/// Scoring, PredictionEngine use, PEFT export and .zip persistence are those of every <see cref="FineTunedTransformer"/>.
/// </summary>
public sealed class LoraTextClassificationTransformer : FineTunedTransformer
{
    internal const string LoaderSignature = "LoraTextClassXf";

    private readonly TextClassificationTask task;

    internal LoraTextClassificationTransformer(IHostEnvironment env, TextClassificationTask task, FineTunedModel model, int scoringBatchSize,
        TrainingHistory? history)
        : base(env, nameof(LoraTextClassificationTransformer), task, model, scoringBatchSize, history)
        => this.task = task;

    /// <summary>Number of classes.</summary>
    public int ClassCount => Model.Head.Outputs;

    /// <summary>The label values of the classes in key order (key 1 first), as text; null when the label column had none.</summary>
    public IReadOnlyList<string>? LabelNames => task.Labels?.Values;

    /// <summary>Temperature applied to the logits before softmax (1 = uncalibrated).</summary>
    public float Temperature => task.Temperature;

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
    /// <exception cref="ArgumentException">The number of label names differs from the adapter's classes.</exception>
    public static LoraTextClassificationTransformer FromPeftAdapter(MLContext mlContext, string adapterFolder, PretrainedModel? baseModel = null,
        IReadOnlyList<string>? labelNames = null, string sentence1ColumnName = "Sentence1", string? sentence2ColumnName = null, int? maxSequenceLength = null)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        var env = (IHostEnvironment)mlContext;
        var columns = new TextClassificationColumns(sentence1ColumnName, sentence2ColumnName, DefaultColumnNames.Score, DefaultColumnNames.PredictedLabel, DefaultColumnNames.Label);
        var task = new TextClassificationTask(columns, labelNames is null ? null : new KeyValueNames("Text", labelNames.ToArray()), 1f);
        var model = PeftImport.Load(env, adapterFolder, baseModel ?? PretrainedModel.MiniLmL6V2, task, maxSequenceLength);
        return new LoraTextClassificationTransformer(env, task, model, 32, null);
    }

    /// <summary>
    /// A copy of this transformer whose scores are calibrated by temperature scaling fitted on <paramref name="data"/>
    /// (labelled rows, ideally held out), minimising their negative log-likelihood. Accuracy is unchanged.
    /// </summary>
    public LoraTextClassificationTransformer Calibrate(IDataView data)
    {
        var (logits, labels) = LabelledLogits(data);
        return new LoraTextClassificationTransformer(Host, task.WithTemperature(TemperatureScaling.Fit(logits, labels)), Model, ScoringBatchSize, TrainingHistory);
    }

    /// <summary>Calibration of this transformer's <c>Score</c> on labelled <paramref name="data"/>: ECE (15 bins), reliability table, NLL, accuracy.</summary>
    public CalibrationReport EvaluateCalibration(IDataView data, int bins = 15)
    {
        var (logits, labels) = LabelledLogits(data);
        return CalibrationMetrics.Compute(logits.Select(l => Softmax.Probabilities(l, Temperature)).ToList(), labels, bins);
    }

    private (float[][] Logits, List<int> Labels) LabelledLogits(IDataView data)
    {
        ArgumentNullException.ThrowIfNull(data);
        using var ch = Host.Start("Calibration");
        var rows = task.ReadLabelled(data, Model, ch);
        return (TextClassificationScoring.Logits(Model, rows, ScoringBatchSize), rows.Select(r => r.Label).ToList());
    }

    // ---- ML.NET persistence ----

    private static VersionInfo GetVersionInfo() => new(
        modelSignature: "LORATXCL", verWrittenCur: 0x00010001, verReadableCur: 0x00010001, verWeCanReadBack: 0x00010001,
        loaderAssemblyName: typeof(LoraTextClassificationTransformer).Assembly.FullName, loaderSignature: LoaderSignature);

    private protected override VersionInfo VersionInfo => GetVersionInfo();

    // Found by ML.NET's ComponentCatalog through the LoadableClass attribute: no registration call is needed.
    private static LoraTextClassificationTransformer Create(IHostEnvironment env, ModelLoadContext ctx)
    {
        var loaded = ModelPackage.Load(env, ctx, GetVersionInfo(), TextClassificationTask.TaskName, TextClassificationTask.FromJson);
        return new LoraTextClassificationTransformer(env, loaded.Task, loaded.Model, loaded.ScoringBatchSize, null);
    }
}
