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
            var p = PaddedBatch.Create(batch.Select(i => rows[i].Ids).ToList(), types ? batch.Select(i => rows[i].TypeIds).ToList() : null, pad);
            var logits = model.Logits(p.InputIds, p.AttentionMask, p.TokenTypeIds, p.Rows, p.Length);
            for (int r = 0; r < p.Rows; r++) result[batch[r]] = logits.AsSpan(r * classes, classes).ToArray();
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
