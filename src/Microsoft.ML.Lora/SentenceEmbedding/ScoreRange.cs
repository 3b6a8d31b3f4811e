using System.Globalization;

namespace Microsoft.ML.Lora.SentenceEmbedding;

/// <summary>The scores that mean "unrelated" and "same meaning": the cosine loss's targets are scores mapped from [Min, Max] to [0, 1].</summary>
internal sealed record ScoreRange(double Min, double Max)
{
    /// <summary>The range: each end as the options set it, else the training scores' smallest or largest.</summary>
    /// <exception cref="InvalidDataException">The ends meet (every score the same and no range given).</exception>
    public static ScoreRange From(double? min, double? max, IReadOnlyCollection<float> scores, string column)
    {
        double lo = min ?? scores.Min(), hi = max ?? scores.Max();
        if (!(lo < hi))
            throw new InvalidDataException(FormattableString.Invariant(
                $"Score column '{column}' of the training data spans [{lo}, {hi}]: no range to scale to [0, 1]. Set MinScore and MaxScore."));
        return new ScoreRange(lo, hi);
    }

    /// <summary>The cosine loss's target for <paramref name="score"/>; <paramref name="where"/> names the row in the error.</summary>
    /// <exception cref="InvalidDataException">The score lies outside the range.</exception>
    public float Scale(float score, string where)
    {
        if (score < Min || score > Max)
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                $"{where} is {score}, outside the score range [{Min}, {Max}] (MinScore / MaxScore, or the training data's)."));
        return (float)((score - Min) / (Max - Min));
    }
}
