using Microsoft.ML.Lora.Native;
using Microsoft.ML.Lora.Tokenization;
using Microsoft.ML.Lora.Training;

namespace Microsoft.ML.Lora.Pipeline;

/// <summary>
/// Logits of many tokenized rows: sorted by length into batches (little padding), returned in input order. Sequence
/// tasks get one vector of class logits per row; token tasks get the logits of every real token of the row, token-major.
/// </summary>
internal static class BatchedLogits
{
    /// <summary>
    /// Row r's result has <c>NumLabels</c> values (<paramref name="perToken"/> false) or
    /// <c>ids[r].Length × NumLabels</c> values (true). <paramref name="typeIds"/> may be null (all zero); they are passed only
    /// to models that have more than one token type (BERT), others see none.
    /// </summary>
    public static float[][] Compute(FineTunedModel model, IReadOnlyList<int[]> ids, IReadOnlyList<int[]>? typeIds, int batchSize, bool perToken)
    {
        if (model.Model.Encoder.Config.TypeVocabSize <= 1) typeIds = null;
        var result = new float[ids.Count][];
        int labels = model.Model.NumLabels;
        foreach (var batch in LengthBucketing.ScoringBatches(ids.Select(r => r.Length).ToArray(), batchSize))
        {
            var rows = PaddedBatch.Create(batch.Select(i => ids[i]).ToList(), typeIds is null ? null : batch.Select(i => typeIds[i]).ToList(),
                model.Tokenizer.PadId);
            var logits = model.Logits(rows.InputIds, rows.AttentionMask, rows.TokenTypeIds, rows.Rows, rows.Length);
            int perRow = perToken ? rows.Length * labels : labels;
            for (int r = 0; r < batch.Length; r++)
            {
                int count = perToken ? ids[batch[r]].Length * labels : labels;
                result[batch[r]] = logits.AsSpan(r * perRow, count).ToArray();
            }
            TorchRuntime.AfterScoringBatch((long)rows.Rows * rows.Length);
        }
        return result;
    }
}
