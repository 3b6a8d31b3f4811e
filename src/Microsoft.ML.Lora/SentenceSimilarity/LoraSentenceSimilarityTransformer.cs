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
