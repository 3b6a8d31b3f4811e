namespace SentimentApi;

/// <summary>Scores texts for any number of concurrent requests.</summary>
public interface ITextScorer
{
    /// <summary>Whether concurrent requests share forward passes.</summary>
    bool MicroBatching { get; }

    /// <summary>The class probabilities of each text, in order.</summary>
    Task<float[][]> ScoreAsync(IReadOnlyList<string> texts);
}
