using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Lora;
using Microsoft.ML.Lora.Persistence;
using Microsoft.ML.Lora.Pipeline;
using Microsoft.ML.Lora.SentenceSimilarity;
using Microsoft.ML.Runtime;

[assembly: LoadableClass(typeof(LoraSentenceSimilarityTransformer), null, typeof(SignatureLoadModel),
    "LoRA sentence similarity", LoraSentenceSimilarityTransformer.LoaderSignature)]

namespace Microsoft.ML.Lora;

/// <summary>
/// A fine-tuned cross-encoder: adds <c>Score</c>, the similarity of each row's two sentences (a Single on the training
/// labels' scale, not clipped to it). Scoring, PredictionEngine use, PEFT export and .zip persistence are those of every
/// <see cref="FineTunedTransformer"/>; <see cref="Predict"/> scores one pair directly.
/// </summary>
public sealed class LoraSentenceSimilarityTransformer : FineTunedTransformer
{
    internal const string LoaderSignature = "LoraSentSimXf";

    private readonly SentenceSimilarityTask task;

    internal LoraSentenceSimilarityTransformer(IHostEnvironment env, SentenceSimilarityTask task, FineTunedModel model, int scoringBatchSize,
        TrainingHistory? history)
        : base(env, nameof(LoraSentenceSimilarityTransformer), task, model, scoringBatchSize, history)
        => this.task = task;

    /// <summary>The smallest training label; null for a model imported from a PEFT adapter.</summary>
    public float? LabelMinimum => task.Labels?.Minimum;

    /// <summary>The largest training label; null for a model imported from a PEFT adapter.</summary>
    public float? LabelMaximum => task.Labels?.Maximum;

    /// <summary>The similarity of one pair, as <c>Score</c> gives it (an empty sentence is valid input).</summary>
    public float Predict(string sentence1, string sentence2)
    {
        ArgumentNullException.ThrowIfNull(sentence1);
        ArgumentNullException.ThrowIfNull(sentence2);
        return SentenceSimilarityScoring.Scores(Model, new[] { (sentence1, (string?)sentence2) }, 1, out _)[0];
    }

    /// <summary>
    /// Builds a transformer from a PEFT LoRA adapter folder (<c>adapter_config.json</c> + <c>adapter_model.safetensors</c>, task
    /// type SEQ_CLS with one output: e.g. written by <see cref="FineTunedTransformer.SaveAdapter"/>, or trained in Python with
    /// <c>peft</c> on <c>AutoModelForSequenceClassification(..., num_labels=1)</c>) and its base model. <c>Score</c> is the
    /// head's output as it is, so it has the scale the adapter was trained on.
    /// </summary>
    /// <param name="mlContext">The ML.NET context.</param>
    /// <param name="adapterFolder">The adapter folder.</param>
    /// <param name="baseModel">The base the adapter was trained on (default: the embedded MiniLM).</param>
    /// <param name="sentence1ColumnName">First sentence column.</param>
    /// <param name="sentence2ColumnName">Second sentence column.</param>
    /// <param name="maxSequenceLength">Longest pair in tokens; null = 128, the estimator's default.</param>
    /// <exception cref="InvalidDataException">The adapter is not a one-output SEQ_CLS adapter or does not fit the base (names the key and shapes).</exception>
    public static LoraSentenceSimilarityTransformer FromPeftAdapter(MLContext mlContext, string adapterFolder, PretrainedModel? baseModel = null,
        string sentence1ColumnName = "Sentence1", string sentence2ColumnName = "Sentence2", int? maxSequenceLength = null)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        ArgumentException.ThrowIfNullOrEmpty(sentence1ColumnName);
        ArgumentException.ThrowIfNullOrEmpty(sentence2ColumnName);
        var env = (IHostEnvironment)mlContext;
        var task = new SentenceSimilarityTask(new SentenceSimilarityColumns(sentence1ColumnName, sentence2ColumnName, DefaultColumnNames.Score, DefaultColumnNames.Label), null);
        var model = PeftImport.Load(env, adapterFolder, baseModel ?? PretrainedModel.MiniLmL6V2, task,
            maxSequenceLength ?? new LoraSentenceSimilarityOptions().MaxSequenceLength);
        return new LoraSentenceSimilarityTransformer(env, task, model, 32, null);
    }

    // ---- ML.NET persistence ----

    private static VersionInfo GetVersionInfo() => new(
        modelSignature: "LORASTSM", verWrittenCur: 0x00010001, verReadableCur: 0x00010001, verWeCanReadBack: 0x00010001,
        loaderAssemblyName: typeof(LoraSentenceSimilarityTransformer).Assembly.FullName, loaderSignature: LoaderSignature);

    private protected override VersionInfo VersionInfo => GetVersionInfo();

    // Found by ML.NET's ComponentCatalog through the LoadableClass attribute: no registration call is needed.
    private static LoraSentenceSimilarityTransformer Create(IHostEnvironment env, ModelLoadContext ctx)
    {
        var loaded = ModelPackage.Load(env, ctx, GetVersionInfo(), SentenceSimilarityTask.TaskName, SentenceSimilarityTask.FromJson);
        return new LoraSentenceSimilarityTransformer(env, loaded.Task, loaded.Model, loaded.ScoringBatchSize, null);
    }
}
