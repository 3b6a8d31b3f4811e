using SentimentAnalyst.Backtest;
using Xunit;

namespace Microsoft.ML.Lora.Tests.Samples.Backtest;

/// <summary>The back-test scores with a sentiment model.zip and refuses anything else with the reason.</summary>
public class TweetScorerTests : IDisposable
{
    private readonly TempFolder temp = new("lora-scorer-");

    public void Dispose() => temp.Dispose();

    [Fact]
    public void ASentimentModelScoresEveryTextInOrderWithProgress()
    {
        var scorer = TweetScorer.Load(TinySentimentModel.Save(temp, "model.zip", "Bullish", "Bearish", "Neutral"));
        Assert.Equal(["Bearish", "Bullish", "Neutral"], scorer.ClassNames.Order());
        var texts = Enumerable.Range(0, 600).Select(i => i % 3 == 0 ? "good news" : i % 3 == 1 ? "the stock is bad" : $"flat {i}").ToArray();
        var reports = new List<int>();

        var scores = scorer.Score(texts, new SynchronousProgress(reports.Add));

        Assert.Equal(texts.Length, scores.Length);
        Assert.All(scores, s => Assert.InRange(s.Bullish + s.Bearish, 0, 1.0001));
        // Results come back in input order: equal texts score equally wherever they are.
        Assert.Equal(scores[0], scores[3]);
        Assert.Equal(scores[1], scores[598]);
        Assert.Equal([256, 512, 600], reports);
    }

    [Fact]
    public void AModelWithoutBullishAndBearishClassesSaysWhichClassesItHas()
    {
        string zip = TinySentimentModel.Save(temp, "other.zip", "positive", "negative");
        var e = Assert.Throws<InvalidDataException>(() => TweetScorer.Load(zip));
        Assert.Contains("is not a sentiment model with Bullish and Bearish classes: its classes are 'negative', 'positive'", e.Message);
    }

    [Fact]
    public void AFileThatIsNotAModelIsRefusedWithItsName()
    {
        string path = temp["model.zip"];
        File.WriteAllText(path, "not a zip");
        var e = Assert.Throws<InvalidDataException>(() => TweetScorer.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("cannot load it as an ML.NET model", e.Message);
    }

    private sealed class SynchronousProgress(Action<int> report) : IProgress<int>
    {
        public void Report(int value) => report(value);
    }
}
