using Microsoft.ML.Lora.Pipeline;

namespace Microsoft.ML.Lora.TextClassification;

/// <summary>Class logits of tokenized rows (text or text pairs), in input order.</summary>
internal static class TextClassificationScoring
{
    /// <summary>Token types are passed only to models that have more than one (BERT); others see none.</summary>
    public static float[][] Logits(FineTunedModel model, IReadOnlyList<int[]> ids, IReadOnlyList<int[]> typeIds, int batchSize)
        => BatchedLogits.Compute(model, ids, model.Model.Encoder.Config.TypeVocabSize > 1 ? typeIds : null, batchSize, perToken: false);
}
