using Microsoft.ML.Lora.Pipeline;

namespace Microsoft.ML.Lora.SentenceSimilarity;

/// <summary>The column names a sentence-similarity transformer reads and writes.</summary>
internal sealed record SentenceSimilarityColumns(string Sentence1, string Sentence2, string Score, string Label)
{
    /// <summary>The text pair it reads.</summary>
    public TextColumns Text => new(Sentence1, Sentence2);
}
