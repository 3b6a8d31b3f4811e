using System.Text.Json.Nodes;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Lora.Models;
using Microsoft.ML.Lora.Ner;
using Microsoft.ML.Lora.Onnx;
using Microsoft.ML.Lora.Onnx.Heads;
using Microsoft.ML.Lora.Persistence;
using Microsoft.ML.Lora.Pipeline;
using Microsoft.ML.Lora.Training;
using Microsoft.ML.Runtime;

[assembly: LoadableClass(typeof(LoraNerTransformer), null, typeof(SignatureLoadModel), "LoRA named-entity recognition", LoraNerTransformer.LoaderSignature)]

namespace Microsoft.ML.Lora.Ner;

/// <summary>
/// A fine-tuned named-entity tagger. Adds <c>PredictedLabel</c> (one IOB2 tag per word, a variable-length vector of a key
/// type whose key values are <see cref="Tags"/>) and <c>Confidence</c> (per word, the probability of its tag). Predictions
/// are valid IOB2: an <c>I-X</c> after <c>O</c> or another type is repaired into <c>B-X</c>. Sentences longer than the
/// model's maximum length are scored in overlapping windows, so every word gets a tag. Scoring, PredictionEngine use, PEFT
/// export and .zip persistence are those of every <see cref="LoraFineTunedTransformer"/>.
/// </summary>
public sealed class LoraNerTransformer : LoraFineTunedTransformer
{
    internal const string LoaderSignature = "LoraNerXf";

    private readonly NerColumns columns;
    private readonly NerTagSet tags;

    internal LoraNerTransformer(IHostEnvironment env, FineTunedModel model, NerColumns columns, NerTagSet tags, TagScheme labelScheme,
        int windowOverlap, int scoringBatchSize, TrainingHistory? history)
        : base(env, nameof(LoraNerTransformer), model, scoringBatchSize, history)
    {
        this.columns = columns;
        this.tags = tags;
        LabelScheme = labelScheme;
        WindowOverlap = windowOverlap;
    }

    /// <summary>The IOB2 tags the model predicts, in key order (key 1 = <c>Tags[0]</c>).</summary>
    public IReadOnlyList<string> Tags => tags.Tags;

    /// <summary>The entity types the model knows, in ordinal order.</summary>
    public IReadOnlyList<string> EntityTypes => tags.Tags.Where(t => t.StartsWith("B-", StringComparison.Ordinal)).Select(t => t[2..]).Order(StringComparer.Ordinal).ToArray();

    /// <summary>The scheme the training labels were written in (they were converted to IOB2 for training).</summary>
    public TagScheme LabelScheme { get; }

    /// <summary>Sub-tokens shared by consecutive windows of a long sentence.</summary>
    public int WindowOverlap { get; }

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
        var p = NerScoring.Predict(Model, tags, new[] { array }, WindowOverlap, ScoringBatchSize, out _)[0];
        return ToEntities(array, p.Keys, p.Confidences);
    }

    /// <summary>
    /// Turns one prediction (the <c>PredictedLabel</c> and <c>Confidence</c> of a row, e.g. from a PredictionEngine) into
    /// entities, read with conlleval's rules by <see cref="EntitySpanDecoder"/> after <see cref="TagSchemeConverter.RepairIob2"/>.
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
            if (key == 0 || key > tags.Count)
                throw new ArgumentException($"Predicted tag {i} has key {key}; the model's keys are 1 to {tags.Count}.", nameof(predictedLabel));
            names[i] = tags.Tags[(int)key - 1];
        }
        return EntitySpanDecoder.Decode(words, TagSchemeConverter.RepairIob2(names), confidence);
    }

    private protected override IRowScorer CreateScorer(DataViewSchema input)
        => new NerScorer(input, Model, tags, columns, WindowOverlap, ScoringBatchSize, Host);

    private protected override OnnxTaskDescription DescribeForOnnx() => new("token-classification", TokenClassificationOnnxHead.Instance, Tags,
        new JsonObject
        {
            ["tag_scheme"] = "IOB2", ["window_overlap"] = WindowOverlap,
            ["encoding"] = "the words' word pieces (a word that yields none is one [UNK]) between [CLS] and [SEP]; token_type_ids all 0; "
                + "a sentence longer than max_sequence_length is cut into windows of whole words sharing about window_overlap word pieces",
            ["postprocess"] = "a word's tag = labels[argmax(logits at its first word piece)], its confidence the softmax maximum there; "
                + "in windowed sentences from the window where the word is most central; then an I-X after O or another type becomes B-X",
        });

    // ---- ML.NET persistence ----

    private static VersionInfo GetVersionInfo() => new(
        modelSignature: "LORANER_", verWrittenCur: 0x00010001, verReadableCur: 0x00010001, verWeCanReadBack: 0x00010001,
        loaderAssemblyName: typeof(LoraNerTransformer).Assembly.FullName, loaderSignature: LoaderSignature);

    private protected override string TaskName => TaskNames.TokenClassification;

    private protected override VersionInfo VersionInfo => GetVersionInfo();

    private protected override JsonObject TaskSettings() => new()
    {
        ["sentence"] = columns.Sentence, ["label"] = columns.Label, ["predicted_label"] = columns.PredictedLabel,
        ["confidence"] = columns.Confidence, ["tags"] = new JsonArray(tags.Tags.Select(t => (JsonNode?)t).ToArray()),
        ["label_scheme"] = LabelScheme.ToString(), ["window_overlap"] = WindowOverlap, ["scoring_batch_size"] = ScoringBatchSize,
    };

    // Found by ML.NET's ComponentCatalog through the LoadableClass attribute: no registration call is needed.
    private static LoraNerTransformer Create(IHostEnvironment env, ModelLoadContext ctx)
    {
        var (fine, s) = ModelPackage.Load(env, ctx, GetVersionInfo(), TaskNames.TokenClassification, (enc, n, _) => new TokenClassificationModel(enc, n));
        var tags = new NerTagSet(s["tags"]!.AsArray().Select(t => t!.GetValue<string>()).ToArray());
        if (tags.Count != fine.Model.NumLabels)
            throw new InvalidDataException($"model entry '{ctx.Directory}': {tags.Count} tags for a head of {fine.Model.NumLabels} outputs.");
        var columns = new NerColumns(s["sentence"]!.GetValue<string>(), s["label"]!.GetValue<string>(), s["predicted_label"]!.GetValue<string>(),
            s["confidence"]!.GetValue<string>());
        return new LoraNerTransformer(env, fine, columns, tags, Enum.Parse<TagScheme>(s["label_scheme"]!.GetValue<string>()),
            s["window_overlap"]!.GetValue<int>(), s["scoring_batch_size"]!.GetValue<int>(), null);
    }
}
