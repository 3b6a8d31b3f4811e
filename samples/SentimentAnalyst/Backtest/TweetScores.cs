namespace SentimentAnalyst.Backtest;

/// <summary>A tweet's class probabilities that the signal is made of.</summary>
/// <param name="Bullish">P(Bullish).</param>
/// <param name="Bearish">P(Bearish).</param>
public readonly record struct TweetScores(float Bullish, float Bearish)
{
    /// <summary>P(Bullish) − P(Bearish), in [−1, 1]: the tweet's contribution to its day's signal.</summary>
    public double Tone => (double)Bullish - Bearish;
}
