using Microsoft.ML.Lora.Pipeline;

namespace Microsoft.ML.Lora.TextClassification;

/// <summary>Class logits of tokenized rows (text or text pairs), in input order.</summary>
internal static class TextClassificationScoring
{
    /// <summary>Token types are passed only to models that have more than one (BERT); others see none.</summary>
    public static float[][] Logits(FineTunedModel model, IReadOnlyList<ClassificationExample> rows, int batchSize)
        => BatchedLogits.Compute(model, rows.Select(e => e.Ids).ToList(),
            model.Model.Encoder.Config.TypeVocabSize > 1 ? rows.Select(e => e.TypeIds).ToList() : null, batchSize, perToken: false);
}
