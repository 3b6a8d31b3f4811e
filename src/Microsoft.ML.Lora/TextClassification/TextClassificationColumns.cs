using Microsoft.ML.Lora.Pipeline;

namespace Microsoft.ML.Lora.TextClassification;

/// <summary>The column names a text classification transformer reads and writes.</summary>
internal sealed record TextClassificationColumns(string Sentence1, string? Sentence2, string Score, string PredictedLabel, string Label)
{
    /// <summary>The text columns it reads.</summary>
    public TextColumns Text => new(Sentence1, Sentence2);
}
