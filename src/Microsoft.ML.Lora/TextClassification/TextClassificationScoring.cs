using Microsoft.ML.Lora.Pipeline;

namespace Microsoft.ML.Lora.TextClassification;

/// <summary>Class logits of tokenized rows (text or text pairs), in input order.</summary>
internal static class TextClassificationScoring
{
    public static float[][] Logits(FineTunedModel model, IReadOnlyList<ClassificationExample> rows, int batchSize)
        => BatchedLogits.Compute(model, rows.Select(e => e.Ids).ToList(), rows.Select(e => e.TypeIds).ToList(), batchSize, perToken: false);
}
