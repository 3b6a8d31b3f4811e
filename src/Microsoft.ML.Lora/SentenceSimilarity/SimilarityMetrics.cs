namespace Microsoft.ML.Lora;

/// <summary>
/// How well predicted similarities order and track the gold ones: Pearson's r and Spearman's ρ (STS-B's headline number),
/// computed in double precision; ties get average ranks, as scipy's <c>spearmanr</c> does.
/// </summary>
/// <remarks>
/// Computed by <c>mlContext.Regression.EvaluateSimilarity</c>; the regression metrics (MSE, MAE, R²) of the same columns
/// come from <c>mlContext.Regression.Evaluate</c>. Immutable.
/// </remarks>
public sealed class SimilarityMetrics
{
    internal SimilarityMetrics(double pearson, double spearman, int rowCount)
    {
        PearsonCorrelation = pearson;
        SpearmanCorrelation = spearman;
        RowCount = rowCount;
    }

    /// <summary>Pearson's linear correlation of score and label; NaN when either is constant.</summary>
    public double PearsonCorrelation { get; }

    /// <summary>Spearman's rank correlation of score and label (Pearson on average ranks); NaN when either is constant.</summary>
    public double SpearmanCorrelation { get; }

    /// <summary>Number of scored pairs.</summary>
    public int RowCount { get; }

    /// <inheritdoc/>
    public override string ToString() => FormattableString.Invariant($"Pearson {PearsonCorrelation:F4}, Spearman {SpearmanCorrelation:F4} ({RowCount} pairs)");
}
