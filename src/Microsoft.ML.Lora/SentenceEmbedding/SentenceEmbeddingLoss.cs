namespace Microsoft.ML.Lora;

/// <summary>
/// What <see cref="LoraSentenceEmbeddingEstimator"/> trains the embeddings for, by sentence-transformers' loss names. Both
/// read pairs of sentences (<see cref="LoraSentenceEmbeddingOptions.Sentence1ColumnName"/>,
/// <see cref="LoraSentenceEmbeddingOptions.Sentence2ColumnName"/>) and compare their embeddings u and v by cosine.
/// </summary>
public enum SentenceEmbeddingLoss
{
    /// <summary>
    /// sentence-transformers' <c>CosineSimilarityLoss</c>: the mean squared error between cos(u, v) and the pair's score
    /// scaled to [0, 1] (<see cref="LoraSentenceEmbeddingOptions.MinScore"/> → 0, <see cref="LoraSentenceEmbeddingOptions.MaxScore"/>
    /// → 1). Needs a score per pair: graded similarity data such as STS-B.
    /// </summary>
    CosineSimilarity,

    /// <summary>
    /// sentence-transformers' <c>MultipleNegativesRankingLoss</c> (in-batch negatives): each pair is (anchor, positive), and
    /// the other pairs' positives in the batch are its negatives; the loss is the cross-entropy of picking the anchor's own
    /// positive among them by cos(anchor, positive_j) · <see cref="LoraSentenceEmbeddingOptions.MultipleNegativesScale"/>.
    /// Needs no score: pairs of paraphrases, question and answer, title and text. Larger batches give more negatives.
    /// </summary>
    MultipleNegativesRanking,
}
