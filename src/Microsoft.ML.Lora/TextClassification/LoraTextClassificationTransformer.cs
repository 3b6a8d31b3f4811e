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
    /// A copy of this transformer whose scores are calibrated by temperature scaling fitted on <paramref name="data"/>
    /// (labelled rows, ideally held out), minimising their negative log-likelihood. Accuracy is unchanged. The temperature
    /// is kept at 1 when it does not beat T = 1 on held-out folds of <paramref name="data"/> by more than noise (5-fold
    /// cross-validated negative log-likelihood, one-standard-error rule; fewer than 50 rows always keep 1); the log says which.
    /// </summary>
    public LoraTextClassificationTransformer Calibrate(IDataView data)
    {
        var (logits, labels) = LabelledLogits(data);
        var fit = TemperatureScaling.FitCrossValidated(logits, labels);
        using (var ch = Host.Start(nameof(Calibrate))) ch.Info(fit.Reason);
        return WithTemperature(fit.Temperature);
    }

    /// <summary>A copy of this transformer that divides the logits by <paramref name="temperature"/> before softmax.</summary>
    internal LoraTextClassificationTransformer WithTemperature(float temperature)
        => new(Host, task.WithTemperature(temperature), Model, ScoringBatchSize, TrainingHistory);

    /// <summary>Calibration of this transformer's <c>Score</c> on labelled <paramref name="data"/>: ECE (15 bins), reliability table, NLL, accuracy.</summary>
    public CalibrationReport EvaluateCalibration(IDataView data, int bins = 15)
    {
        var (logits, labels) = LabelledLogits(data);
        return CalibrationMetrics.Compute(logits.Select(l => Softmax.Probabilities(l, Temperature)).ToList(), labels, bins);
    }

    private (float[][] Logits, List<int> Labels) LabelledLogits(IDataView data)
    {
        ArgumentNullException.ThrowIfNull(data);
        ThrowIfDisposed();
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
