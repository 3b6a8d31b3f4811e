namespace Microsoft.ML.Lora;

/// <summary>
/// Options of <see cref="LoraSentenceEmbeddingEstimator"/>: the pair columns, the loss and the score range, plus everything
/// in <see cref="FineTuningOptions"/> (defaults there: LoRA r = 8 on query and value, 3 epochs, batch 32, learning rate 5e-4).
/// </summary>
public sealed class LoraSentenceEmbeddingOptions : FineTuningOptions
{
    /// <summary>
    /// Text column (String): a pair's first sentence (the anchor) in training, and the one text the transformer embeds when
    /// scoring. Default "Sentence1".
    /// </summary>
    public string Sentence1ColumnName { get; set; } = "Sentence1";

    /// <summary>
    /// Text column (String) of a pair's second sentence (the positive), read in training only: scoring embeds
    /// <see cref="Sentence1ColumnName"/> alone, so the trained transformer needs no second column. Default "Sentence2".
    /// </summary>
    public string Sentence2ColumnName { get; set; } = "Sentence2";

    /// <summary>
    /// A pair's similarity score (Single), read in training only. <see cref="SentenceEmbeddingLoss.CosineSimilarity"/> needs it
    /// in every row (NaN is refused, naming the row). With <see cref="SentenceEmbeddingLoss.MultipleNegativesRanking"/> it is
    /// optional: when a validation set has the column, its metric is the Spearman correlation of cosine with it. Default "Score".
    /// </summary>
    public string? ScoreColumnName { get; set; } = "Score";

    /// <summary>Output: the sentence embedding, a vector of Single of the encoder's hidden size (MiniLM: 384), unit length. Default "Embedding".</summary>
    public string EmbeddingColumnName { get; set; } = "Embedding";

    /// <summary>The training objective. Default <see cref="SentenceEmbeddingLoss.CosineSimilarity"/> (sentence-transformers' choice for STS data).</summary>
    public SentenceEmbeddingLoss Loss { get; set; } = SentenceEmbeddingLoss.CosineSimilarity;

    /// <summary>
    /// The score that means "unrelated" (scaled to 0 for the cosine loss). Null (default) = the smallest score of the training
    /// data. A score below it is refused, naming the row. STS-B: 0.
    /// </summary>
    public double? MinScore { get; set; }

    /// <summary>
    /// The score that means "same meaning" (scaled to 1 for the cosine loss). Null (default) = the largest score of the
    /// training data. A score above it is refused, naming the row. STS-B: 5.
    /// </summary>
    public double? MaxScore { get; set; }

    /// <summary>
    /// The factor on cosine similarities before the softmax of <see cref="SentenceEmbeddingLoss.MultipleNegativesRanking"/>
    /// (an inverse temperature). Default 20, sentence-transformers' default.
    /// </summary>
    public double MultipleNegativesScale { get; set; } = 20;

    /// <inheritdoc/>
    public override void Validate()
    {
        base.Validate();
        if (string.IsNullOrEmpty(Sentence1ColumnName)) throw new ArgumentException("Sentence1ColumnName must be set.", nameof(Sentence1ColumnName));
        if (string.IsNullOrEmpty(Sentence2ColumnName)) throw new ArgumentException("Sentence2ColumnName must be set: training reads pairs.", nameof(Sentence2ColumnName));
        if (Sentence1ColumnName == Sentence2ColumnName)
            throw new ArgumentException($"Sentence1ColumnName and Sentence2ColumnName are both '{Sentence1ColumnName}'; a pair needs two columns.", nameof(Sentence2ColumnName));
        if (string.IsNullOrEmpty(EmbeddingColumnName)) throw new ArgumentException("EmbeddingColumnName must be set.", nameof(EmbeddingColumnName));
        if (!Enum.IsDefined(Loss)) throw new ArgumentException($"Loss {(int)Loss} is not a SentenceEmbeddingLoss.", nameof(Loss));
        if (Loss == SentenceEmbeddingLoss.CosineSimilarity && string.IsNullOrEmpty(ScoreColumnName))
            throw new ArgumentException("The CosineSimilarity loss needs a ScoreColumnName; without scores use MultipleNegativesRanking.", nameof(ScoreColumnName));
        if (Loss == SentenceEmbeddingLoss.MultipleNegativesRanking && BatchSize < 2)
            throw new ArgumentException($"MultipleNegativesRanking needs a BatchSize of at least 2 (the other pairs are the negatives), got {BatchSize}.", nameof(BatchSize));
        if (MinScore is { } min && !double.IsFinite(min)) throw new ArgumentException($"MinScore must be finite, got {min}.", nameof(MinScore));
        if (MaxScore is { } max && !double.IsFinite(max)) throw new ArgumentException($"MaxScore must be finite, got {max}.", nameof(MaxScore));
        if (MinScore is { } lo && MaxScore is { } hi && !(lo < hi))
            throw new ArgumentException($"MinScore ({lo}) must be below MaxScore ({hi}).", nameof(MaxScore));
        if (!(MultipleNegativesScale > 0 && double.IsFinite(MultipleNegativesScale)))
            throw new ArgumentException($"MultipleNegativesScale must be positive, got {MultipleNegativesScale}.", nameof(MultipleNegativesScale));
        if (ReferenceEquals(Method, FineTuningMethod.HeadOnly))
            throw new ArgumentException("HeadOnly trains nothing here: a sentence-embedding model has no head (mean pooling). Use LoRA, Full, LastLayers or Adapters.", nameof(Method));
    }
}
