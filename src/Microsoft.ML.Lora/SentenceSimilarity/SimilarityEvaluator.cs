using Microsoft.ML.Lora.Statistics;

namespace Microsoft.ML.Lora.SentenceSimilarity;

/// <summary>Pearson and Spearman correlation of a scored IDataView's score and label columns (both Single, every row finite).</summary>
internal static class SimilarityEvaluator
{
    public static SimilarityMetrics Evaluate(IDataView data, string labelColumnName, string scoreColumnName)
    {
        ArgumentNullException.ThrowIfNull(data);
        var label = SentenceSimilarityRows.RequireLabel(data.Schema, labelColumnName, "Label");
        var score = SentenceSimilarityRows.RequireLabel(data.Schema, scoreColumnName, "Score");
        using var cursor = data.GetRowCursor(new[] { label, score });
        var getLabel = cursor.GetGetter<float>(label);
        var getScore = cursor.GetGetter<float>(score);
        var gold = new List<double>();
        var predicted = new List<double>();
        float g = 0, p = 0;
        while (cursor.MoveNext())
        {
            getLabel(ref g);
            getScore(ref p);
            if (!float.IsFinite(g) || !float.IsFinite(p))
                throw new InvalidDataException($"Row {cursor.Position}: column '{(float.IsFinite(g) ? scoreColumnName : labelColumnName)}' is {(float.IsFinite(g) ? p : g)}; "
                    + "expected a finite number in every row (a missing label is not left out silently: filter such rows first).");
            gold.Add(g);
            predicted.Add(p);
        }
        if (gold.Count < 2) throw new InvalidOperationException($"The data has {gold.Count} row(s); correlations need at least 2.");
        return new SimilarityMetrics(Correlation.Pearson(predicted.ToArray(), gold.ToArray()), Correlation.Spearman(predicted.ToArray(), gold.ToArray()), gold.Count);
    }
}
