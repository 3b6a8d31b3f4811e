namespace Microsoft.ML.Lora.SentenceEmbedding;

/// <summary>
/// The columns of a sentence-embedding task: the pair and its score are read in training; scoring reads
/// <paramref name="Sentence1"/> and writes <paramref name="Embedding"/>.
/// </summary>
internal sealed record SentenceEmbeddingColumns(string Sentence1, string Sentence2, string? Score, string Embedding);
