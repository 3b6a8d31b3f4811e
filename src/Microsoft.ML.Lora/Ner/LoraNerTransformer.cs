using Microsoft.ML;
using Microsoft.ML.Lora;
using Microsoft.ML.Lora.Ner;
using Microsoft.ML.Lora.Persistence;
using Microsoft.ML.Lora.Pipeline;
using Microsoft.ML.Runtime;

[assembly: LoadableClass(typeof(LoraNerTransformer), null, typeof(SignatureLoadModel), "LoRA named-entity recognition", LoraNerTransformer.LoaderSignature)]

namespace Microsoft.ML.Lora;

/// <summary>
/// A fine-tuned named-entity tagger. Adds <c>PredictedLabel</c> (one IOB2 tag per word, a variable-length vector of a key
/// type whose key values are <see cref="Tags"/>) and <c>Confidence</c> (per word, the probability of its tag). Predictions
/// are valid IOB2: an <c>I-X</c> after <c>O</c> or another type is repaired into <c>B-X</c>. Sentences longer than the
/// model's maximum length are scored in overlapping windows, so every word gets a tag. Scoring, PredictionEngine use, PEFT
/// export and .zip persistence are those of every <see cref="FineTunedTransformer"/>.
/// </summary>
public sealed class LoraNerTransformer : FineTunedTransformer
{
    internal const string LoaderSignature = "LoraNerXf";

    private readonly NerTask task;

    internal LoraNerTransformer(IHostEnvironment env, NerTask task, FineTunedModel model, int scoringBatchSize, TrainingHistory? history)
        : base(env, nameof(LoraNerTransformer), task, model, scoringBatchSize, history)
        => this.task = task;

    /// <summary>The IOB2 tags the model predicts, in key order (key 1 = <c>Tags[0]</c>).</summary>
    public IReadOnlyList<string> Tags => task.Tags.Tags;

    /// <summary>The entity types the model knows, in ordinal order.</summary>
    public IReadOnlyList<string> EntityTypes => task.Tags.Tags.Where(t => t.StartsWith("B-", StringComparison.Ordinal)).Select(t => t[2..]).Order(StringComparer.Ordinal).ToArray();

    /// <summary>The scheme the training labels were written in (they were converted to IOB2 for training).</summary>
    public TagScheme LabelScheme => task.LabelScheme;

    /// <summary>Sub-tokens shared by consecutive windows of a long sentence.</summary>
    public int WindowOverlap => task.WindowOverlap;

    /// <summary>Longest input in tokens, <c>[CLS]</c> and <c>[SEP]</c> included: the size of a window.</summary>
    public int MaxSequenceLength => Model.MaxSequenceLength;

    /// <summary>Tags <paramref name="sentence"/> (split into words on whitespace) and returns its entities.</summary>
    public IReadOnlyList<EntitySpan> PredictEntities(string sentence)
    {
        ArgumentNullException.ThrowIfNull(sentence);
        return PredictEntities(NerColumnTypes.SplitWords(sentence));
    }

    /// <summary>Tags the words of one sentence and returns its entities (type, words, word span, mean confidence).</summary>
    public IReadOnlyList<EntitySpan> PredictEntities(IReadOnlyList<string> words)
    {
        ArgumentNullException.ThrowIfNull(words);
        var array = words.ToArray();
        var p = NerScoring.Predict(Model, task.Tags, new[] { array }, WindowOverlap, ScoringBatchSize, out _)[0];
        return ToEntities(array, p.Keys, p.Confidences);
    }

    /// <summary>
    /// Turns one prediction (the <c>PredictedLabel</c> and <c>Confidence</c> of a row, e.g. from a PredictionEngine) into
    /// entities as <see cref="EntitySpan.FromTags"/> reads tags: repaired into valid IOB2, then read with conlleval's rules.
    /// </summary>
    /// <param name="words">The row's words (for a sentence column, the sentence split on whitespace).</param>
    /// <param name="predictedLabel">One tag key per word (1-based, as in <c>PredictedLabel</c>).</param>
    /// <param name="confidence">Optional: one confidence per word; an entity's is their mean.</param>
    /// <exception cref="ArgumentException">The counts differ, or a key is not one of the model's tags.</exception>
    public IReadOnlyList<EntitySpan> ToEntities(IReadOnlyList<string> words, IReadOnlyList<uint> predictedLabel, IReadOnlyList<float>? confidence = null)
    {
        ArgumentNullException.ThrowIfNull(words);
        ArgumentNullException.ThrowIfNull(predictedLabel);
        if (predictedLabel.Count != words.Count)
            throw new ArgumentException($"Got {predictedLabel.Count} predicted tags for {words.Count} words; expected one per word.", nameof(predictedLabel));
        var names = new string[predictedLabel.Count];
        for (int i = 0; i < names.Length; i++)
        {
            uint key = predictedLabel[i];
            if (key == 0 || key > task.Tags.Count)
                throw new ArgumentException($"Predicted tag {i} has key {key}; the model's keys are 1 to {task.Tags.Count}.", nameof(predictedLabel));
            names[i] = task.Tags.Tags[(int)key - 1];
        }
        return EntitySpan.FromTags(words, names, confidence);
    }

    // ---- ML.NET persistence ----

    private static VersionInfo GetVersionInfo() => new(
        modelSignature: "LORANER_", verWrittenCur: 0x00010001, verReadableCur: 0x00010001, verWeCanReadBack: 0x00010001,
        loaderAssemblyName: typeof(LoraNerTransformer).Assembly.FullName, loaderSignature: LoaderSignature);

    private protected override VersionInfo VersionInfo => GetVersionInfo();

    // Found by ML.NET's ComponentCatalog through the LoadableClass attribute: no registration call is needed.
    private static LoraNerTransformer Create(IHostEnvironment env, ModelLoadContext ctx)
    {
        var loaded = ModelPackage.Load(env, ctx, GetVersionInfo(), NerTask.TaskName, NerTask.FromJson);
        return new LoraNerTransformer(env, loaded.Task, loaded.Model, loaded.ScoringBatchSize, null);
    }
}
