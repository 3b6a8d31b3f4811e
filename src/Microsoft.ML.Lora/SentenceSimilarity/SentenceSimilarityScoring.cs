using Microsoft.ML.Lora.Pipeline;

namespace Microsoft.ML.Lora.SentenceSimilarity;

/// <summary>Similarity scores of sentence pairs, in input order: the one output of the regression head per pair.</summary>
internal static class SentenceSimilarityScoring
{
    public static float[] Scores(FineTunedModel model, IReadOnlyList<(string Text, string? Pair)> pairs, int batchSize, out int truncated)
    {
        truncated = 0;
        var ids = new List<int[]>(pairs.Count);
        var types = new List<int[]>(pairs.Count);
        foreach (var (a, b) in pairs)
        {
            var encoded = TextRows.Encode(model.Tokenizer, model.MaxSequenceLength, a, b, out bool cut);
            ids.Add(encoded.Ids);
            types.Add(encoded.TypeIds);
            if (cut) truncated++;
        }
        return BatchedLogits.Compute(model, ids, types, batchSize, perToken: false).Select(l => l[0]).ToArray();
    }
}
