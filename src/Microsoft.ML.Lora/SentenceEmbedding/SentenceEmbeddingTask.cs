using System.Text.Json.Nodes;
using Microsoft.ML.Data;
using Microsoft.ML.Lora.Lora;
using Microsoft.ML.Lora.Models;
using Microsoft.ML.Lora.Onnx;
using Microsoft.ML.Lora.Onnx.Heads;
using Microsoft.ML.Lora.Pipeline;
using Microsoft.ML.Lora.Training;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Lora.SentenceEmbedding;

/// <summary>
/// Sentence embeddings (feature extraction) as a <see cref="FineTuningTask"/>: a text → a unit-length vector, mean-pooled
/// over its tokens (<see cref="SentenceEmbeddingModel"/>), trained on sentence pairs with a cosine-similarity or an
/// in-batch-negatives loss. No head (head spec: 0 outputs, no pooler); PEFT task type FEATURE_EXTRACTION, whose keys are
/// the bare encoder's (<c>base_model.model.encoder.layer.0…</c>); output Embedding.
/// </summary>
internal sealed class SentenceEmbeddingTask : FineTuningTask<SentencePair>
{
    public const string TaskName = "sentence-embedding";

    private readonly double? minScore, maxScore;   // Fit: as the options set them

    /// <summary>A task to fit as <paramref name="options"/> say.</summary>
    public SentenceEmbeddingTask(LoraSentenceEmbeddingOptions options)
        : this(new SentenceEmbeddingColumns(options.Sentence1ColumnName, options.Sentence2ColumnName, options.ScoreColumnName, options.EmbeddingColumnName),
            options.Loss, options.MultipleNegativesScale, null)
    {
        minScore = options.MinScore;
        maxScore = options.MaxScore;
    }

    /// <summary>A trained task (or one for a model that was not trained here): columns, loss, scale and the score range it trained on (null = none).</summary>
    public SentenceEmbeddingTask(SentenceEmbeddingColumns columns, SentenceEmbeddingLoss loss, double scale, ScoreRange? range)
    {
        Columns = columns;
        Loss = loss;
        Scale = scale;
        Range = range;
    }

    public SentenceEmbeddingColumns Columns { get; }

    public SentenceEmbeddingLoss Loss { get; }

    /// <summary>The factor on cosines of the in-batch-negatives loss.</summary>
    public double Scale { get; }

    /// <summary>The scores that were scaled to 0 and 1 for the cosine loss; null when training read no scores.</summary>
    public ScoreRange? Range { get; private set; }

    /// <summary>The head spec of this task: none, the embedding is the pooled encoder output.</summary>
    public static HeadSpec NoHead { get; } = new(0, PoolerUse.None);

    public override string Name => TaskName;

    public override PeftTaskType PeftTaskType => PeftTaskType.FeatureExtraction;

    public override TaskModel CreateHead(EncoderModel encoder, HeadSpec head)
        => head == NoHead ? new SentenceEmbeddingModel(encoder)
            : throw new InvalidDataException($"A sentence-embedding model has no head, but the head spec is {head.ToJson().ToJsonString()}.");

    public override HeadSpec HeadFromPeftAdapter(IReadOnlyDictionary<string, long[]> tensors, EncoderConfig config, string source)
    {
        // sentence-transformers pools the token states and never reads BERT's pooler: an adapter that trained one was made
        // for another model (say a classifier), and loading it here would silently drop those tensors.
        string pooler = config.Names.Root + ".pooler.";
        if (tensors.Keys.FirstOrDefault(k => k.StartsWith(pooler, StringComparison.Ordinal)) is { } key)
            throw new InvalidDataException($"{source}: tensor '{PeftTaskType.ToPeftKey(config.Names.Root, key)}' belongs to BERT's pooler, which a mean-pooling sentence-embedding model does not have.");
        return NoHead;
    }

    public override IReadOnlyList<OutputSpec> Outputs => new[] { new OutputSpec(Columns.Embedding, OutputShape.Vector, NumberDataViewType.Single) };

    public override DataViewType? CheckTrainingInput(SchemaShape input)
    {
        new TextColumns(Columns.Sentence1, Columns.Sentence2).Require(input);
        if (Loss == SentenceEmbeddingLoss.CosineSimilarity)
            ColumnChecks.RequireShape(input, Columns.Score!, "Score",
                c => c.ItemType == NumberDataViewType.Single && c.Kind == SchemaShape.Column.VectorKind.Scalar, "Single (a float score per pair)");
        return null;
    }

    public override IRowScorer CreateScorer(DataViewSchema input, FineTunedModel model, ScoringContext context)
        => new SentenceEmbeddingScorer(input, model, this, context);

    public override TaskExamples<SentencePair> ReadExamples(IDataView train, IDataView? validation, TaskFitContext context)
    {
        bool needScores = Loss == SentenceEmbeddingLoss.CosineSimilarity;
        var trainPairs = Read(train, needScores, "training data", context, out bool trainScored);
        if (trainPairs.Count == 0) throw new InvalidOperationException("The training data has no rows.");
        if (trainScored) Range = ScoreRange.From(minScore, maxScore, trainPairs.Select(p => p.Score).ToList(), Columns.Score!);
        List<RawPair>? validationPairs = null;
        if (validation is not null)
        {
            validationPairs = Read(validation, needScores, "validation data", context, out bool validationScored);
            // Validation scores are only compared by rank (Spearman), but the cosine loss's validation loss needs them scaled.
            if (validationScored && Range is null) Range = ScoreRange.From(minScore, maxScore, validationPairs.Select(p => p.Score).ToList(), Columns.Score!);
        }
        if (Range is { } r)
            context.Channel.Info(FormattableString.Invariant($"Scores in [{r.Min}, {r.Max}] of column '{Columns.Score}' are scaled to [0, 1]."));
        return new TaskExamples<SentencePair>(Scaled(trainPairs, "training data"), validationPairs is null ? null : Scaled(validationPairs, "validation data"));
    }

    public override HeadSpec TrainingHead(TaskFitContext context) => NoHead;

    public override ITrainingTask<SentencePair> TrainingTask(TaskFitContext context) => new SentenceEmbeddingTrainingTask(context.Tokenizer.PadId, Loss, Scale);

    public override void AddToFingerprint(SentencePair example, RunFingerprint fingerprint)
        => fingerprint.Add(example.Ids1).Add(example.Ids2).Add(example.Score);

    // The loss decides what the scores mean to training (and MNRL's scale how sharply): another loss is another run.
    public override void AddLabelsToFingerprint(RunFingerprint fingerprint)
        => fingerprint.Add(Loss.ToString()).Add(Scale).Add(Range?.Min ?? double.NaN).Add(Range?.Max ?? double.NaN);

    public override JsonObject SettingsToJson() => new()
    {
        ["sentence1"] = Columns.Sentence1, ["sentence2"] = Columns.Sentence2, ["score"] = Columns.Score, ["embedding"] = Columns.Embedding,
        ["loss"] = Loss.ToString(), ["scale"] = Scale, ["min_score"] = Range?.Min, ["max_score"] = Range?.Max,
    };

    /// <summary>The bare encoder, mean-pooled and normalised; no labels (the output is the embedding, not classes).</summary>
    public override OnnxTaskDescription OnnxDescription(HeadSpec head) => new(TaskName, MeanPoolingOnnxHead.Instance, Array.Empty<string>(), new JsonObject
    {
        ["sentence_pair"] = false,
        ["postprocess"] = "Embedding = sentence_embedding (mean over real tokens, L2-normalised); similarity of two sentences = dot product",
    });

    /// <summary>Reads what <see cref="SettingsToJson"/> wrote.</summary>
    public static SentenceEmbeddingTask FromJson(JsonObject s, string source)
    {
        string loss = JsonSettings.Required<string>(s, "loss", source);
        ScoreRange? range = s["min_score"] is null && s["max_score"] is null ? null
            : new ScoreRange(JsonSettings.Required<double>(s, "min_score", source), JsonSettings.Required<double>(s, "max_score", source));
        return new SentenceEmbeddingTask(
            new SentenceEmbeddingColumns(JsonSettings.Required<string>(s, "sentence1", source), JsonSettings.Required<string>(s, "sentence2", source),
                JsonSettings.Optional(s, "score"), JsonSettings.Required<string>(s, "embedding", source)),
            Enum.TryParse<SentenceEmbeddingLoss>(loss, out var parsed) && Enum.IsDefined(parsed) ? parsed
                : throw new InvalidDataException($"{source}: task setting 'loss' is '{loss}', expected a SentenceEmbeddingLoss."),
            JsonSettings.Required<double>(s, "scale", source), range);
    }

    private List<RawPair> Read(IDataView data, bool needScores, string what, TaskFitContext context, out bool scored)
    {
        var score = SentencePairRows.RequireColumns(data.Schema, Columns, needScores);
        scored = score is not null;
        return SentencePairRows.Read(data, Columns, score, context.Tokenizer, context.MaxSequenceLength, what, context.Channel);
    }

    private List<SentencePair> Scaled(List<RawPair> pairs, string what) => pairs.Select(p => new SentencePair(p.Ids1, p.Ids2,
        Range is { } r && float.IsFinite(p.Score) ? r.Scale(p.Score, $"Row {p.Row} of the {what}: score column '{Columns.Score}'") : float.NaN)).ToList();
}
