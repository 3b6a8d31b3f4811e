using SentimentAnalyst.Backtest;
using Xunit;

namespace Microsoft.ML.Lora.Tests.Samples.Backtest;

/// <summary>Scores are reused only with the very model.zip that made them, and a damaged cache is an error naming it.</summary>
public class ScoreCacheTests : IDisposable
{
    private readonly TempFolder temp = new("lora-cache-");

    public void Dispose() => temp.Dispose();

    [Fact]
    public void ScoresComeBackForTheSameModelAndNotForAnother()
    {
        string model = temp["model.zip"], other = temp["other.zip"];
        File.WriteAllText(model, "model one");
        File.WriteAllText(other, "model two");
        var cache = ScoreCache.Open(temp.Path, model);
        Assert.Empty(cache.Scores);
        cache.Scores["$ aapl up, a \"lot\"\nURL"] = new TweetScores(0.75f, 0.125f);
        cache.Scores["flat"] = new TweetScores(0.1f, 0.2f);
        cache.Save();

        var again = ScoreCache.Open(temp.Path, model);
        Assert.Equal(cache.Path, again.Path);
        Assert.Equal(new TweetScores(0.75f, 0.125f), again.Scores["$ aapl up, a \"lot\"\nURL"]);
        Assert.Equal(2, again.Scores.Count);
        Assert.Empty(ScoreCache.Open(temp.Path, other).Scores);
        Assert.Empty(Directory.GetFiles(temp.Path, "*.tmp"));
    }

    [Fact]
    public void ADamagedCacheNamesItsFile()
    {
        string model = temp["model.zip"];
        File.WriteAllText(model, "model");
        var cache = ScoreCache.Open(temp.Path, model);
        File.WriteAllBytes(cache.Path, [1, 0, 0, 0, 3]);

        var e = Assert.Throws<InvalidDataException>(() => ScoreCache.Open(temp.Path, model));
        Assert.Contains(cache.Path, e.Message);
        Assert.Contains("delete it and run again", e.Message);
    }
}
