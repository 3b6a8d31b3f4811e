using Microsoft.ML.Lora.Pipeline;
using Microsoft.ML.Lora.Training;

namespace Microsoft.ML.Lora.TextClassification;

/// <summary>Batched logits for tokenized rows: sorted by length into batches (little padding), returned in input order.</summary>
internal static class TextClassificationScoring
{
    public static float[][] Logits(FineTunedModel model, IReadOnlyList<(int[] Ids, int[] TypeIds)> rows, int batchSize)
    {
        var result = new float[rows.Count][];
        int classes = model.Model.NumLabels;
        bool types = model.Model.Encoder.Config.TypeVocabSize > 1;
        int pad = model.Tokenizer.PadId;
        foreach (var batch in LengthBucketing.ScoringBatches(rows.Select(r => r.Ids.Length).ToArray(), batchSize))
        {
            int b = batch.Length, t = batch.Max(i => rows[i].Ids.Length);
            var ids = new long[b * t];
            var mask = new long[b * t];
            var tt = types ? new long[b * t] : null;
            Array.Fill(ids, pad);
            for (int r = 0; r < b; r++)
            {
                var (rowIds, rowTypes) = rows[batch[r]];
                for (int j = 0; j < rowIds.Length; j++)
                {
                    ids[r * t + j] = rowIds[j];
                    mask[r * t + j] = 1;
                    if (tt is not null) tt[r * t + j] = rowTypes[j];
                }
            }
            var logits = model.Logits(ids, mask, tt, b, t);
            for (int r = 0; r < b; r++) result[batch[r]] = logits.AsSpan(r * classes, classes).ToArray();
        }
        return result;
    }

    /// <summary>softmax(logits / temperature), computed stably.</summary>
    public static float[] Probabilities(float[] logits, float temperature)
    {
        var p = new float[logits.Length];
        float max = logits.Max();
        double sum = 0;
        for (int i = 0; i < p.Length; i++) sum += p[i] = (float)Math.Exp((logits[i] - max) / temperature);
        for (int i = 0; i < p.Length; i++) p[i] = (float)(p[i] / sum);
        return p;
    }
}
