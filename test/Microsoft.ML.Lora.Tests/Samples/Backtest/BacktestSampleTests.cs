using System.Globalization;
using Samples.Common;
using Xunit;

namespace Microsoft.ML.Lora.Tests.Samples.Backtest;

/// <summary>Tiny models for the back-test's smoke tests, trained once for the class.</summary>
public sealed class BacktestSampleFixture : IDisposable
{
    public BacktestSampleFixture()
    {
        Model = TinySentimentModel.Save(Temp, "model.zip", "Bearish", "Bullish", "Neutral");
        OtherModel = TinySentimentModel.Save(Temp, "other.zip", "negative", "positive");
        Folder = StockNetShapedFolder(Temp["stocknet"]);
    }

    internal TempFolder Temp { get; } = new("lora-backtest-");

    public string Model { get; }

    public string OtherModel { get; }

    public string Folder { get; }

    public void Dispose() => Temp.Dispose();

    /// <summary>Six tickers, every weekday of 2014-2015 but two holidays, a tweet a day each at a random UTC time (a fifth repeated).</summary>
    private static string StockNetShapedFolder(string folder)
    {
        Directory.CreateDirectory(folder);
        var random = new Random(3);
        var days = SyntheticMarket.Weekdays(new DateOnly(2014, 1, 2), new DateOnly(2015, 12, 31), new DateOnly(2014, 7, 4), new DateOnly(2015, 12, 25));
        string[] tickers = ["AAA", "BBB", "CCC", "DDD", "EEE", "FFF"];
        string[] words = ["good", "great", "bad", "awful", "flat", "up", "down", "profit", "loss", "okay"];
        var prices = new List<string> { "ticker,date,open,high,low,close,adj_close,volume" };
        var tweets = new List<string> { "ticker,file_date,created_at_utc,text" };
        foreach (var ticker in tickers)
        {
            double price = 50;
            foreach (var day in days)
            {
                price *= 1 + 0.02 * SyntheticMarket.Normal(random);
                string p = price.ToString("F4", CultureInfo.InvariantCulture);
                prices.Add($"{ticker},{day:yyyy-MM-dd},{p},{p},{p},{p},{p},1000");
                // One tweet a day, and now and then a retweet of it (an exact repeat the back-test drops).
                var utc = day.ToDateTime(TimeOnly.MinValue).AddMinutes(random.Next(24 * 60));
                string text = $"$ {ticker.ToLowerInvariant()} {words[random.Next(words.Length)]} {words[random.Next(words.Length)]} {random.Next(1000)}";
                for (int k = random.NextDouble() < 0.2 ? 2 : 1; k > 0; k--, utc = utc.AddMinutes(7))
                    tweets.Add($"{ticker},{day:yyyy-MM-dd},{utc:yyyy-MM-ddTHH:mm:ss}Z,\"{text}, URL\"");
            }
        }
        File.WriteAllLines(Path.Combine(folder, "prices.csv"), prices);
        File.WriteAllLines(Path.Combine(folder, "tweets.csv"), tweets);
        return folder;
    }
}

/// <summary>
/// Runs samples/SentimentAnalyst --backtest as a user would, in a child process, on a tiny StockNet-shaped folder and a
/// tiny model: it must score, print the figures, write the charts and a RESULT line; bad input ends in one error line.
/// </summary>
public class BacktestSampleTests(BacktestSampleFixture fixture) : IClassFixture<BacktestSampleFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    private static (int ExitCode, string Stdout, string Stderr) Sample(params string[] args) => ChildProcess.Run("SentimentAnalystPath", Timeout, args);

    [Fact]
    public void BacktestScoresTheTweetsPrintsTheFiguresAndWritesTheChartsAndAResultLine()
    {
        string output = fixture.Temp["out"];
        var (code, stdout, stderr) = Sample("--backtest", fixture.Folder, "--model", fixture.Model, "--output", output);
        Assert.True(code == 0, stdout + stderr);

        Assert.Contains("model classes: Bearish, Bullish, Neutral", stdout);
        Assert.Contains("time: US Eastern from the system's time zone 'America/New_York'", stdout);
        Assert.Matches(@"Scored [\d,]+ distinct texts \([\d,]+ tweets\) at \d+ texts/s on \d+ cores, \d+ s of CPU time, in \d+:\d\d", stdout);
        Assert.Matches(@"raw\s+next day\s+\d+", stdout);
        Assert.Matches(@"de-biased\s+5 days", stdout);
        Assert.Contains("base rate", stdout);
        Assert.Contains("StockNet's best model: 58.2%", stdout);
        Assert.DoesNotContain('\r', stdout);
        foreach (var png in new[] { "ic-by-horizon.png", "long-short.png", "reliability-up.png" })
        {
            var bytes = File.ReadAllBytes(Path.Combine(output, png));
            Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, bytes[..4]);
            Assert.True(bytes.Length > 5_000, $"{png} is only {bytes.Length} bytes");
        }
        Assert.Empty(Directory.GetFiles(output, "*.tmp"));

        var result = stdout.Split('\n').Select(l => ResultLine.Parse(l)).Last(r => r is not null)!;
        foreach (var ic in new[] { "ic_same_day", "ic_next_day", "ic_5_days", "ic_next_day_debiased" })
            Assert.InRange(double.Parse(result[ic], CultureInfo.InvariantCulture), -0.5, 0.5);
        Assert.InRange(double.Parse(result["brier"], CultureInfo.InvariantCulture), 0.15, 0.35);
        int tweets = int.Parse(result["tweets"], CultureInfo.InvariantCulture), texts = int.Parse(result["texts"], CultureInfo.InvariantCulture);
        Assert.InRange(texts, 2_500, tweets);
        Assert.InRange(tweets, 2_900, 6 * 519);

        // A second run with the same model reuses the scores and finds the same figures.
        var (code2, stdout2, stderr2) = Sample("--backtest", fixture.Folder, "--model", fixture.Model, "--output", output);
        Assert.True(code2 == 0, stdout2 + stderr2);
        Assert.Contains($"{texts} of {texts} distinct texts were scored by an earlier run with this model", stdout2.Replace(",", ""), StringComparison.Ordinal);
        var result2 = stdout2.Split('\n').Select(l => ResultLine.Parse(l)).Last(r => r is not null)!;
        Assert.Equal("0", result2["texts_scored"]);
        foreach (var key in new[] { "ic_same_day", "ic_next_day", "t_next_day", "ic_5_days", "ic_next_day_debiased", "brier", "ece" })
            Assert.Equal(result[key], result2[key]);
    }

    [Fact]
    public void AModelWithoutBullishAndBearishClassesEndsWithOneErrorLineNamingItsClasses()
    {
        var (code, stdout, stderr) = Sample("--backtest", fixture.Folder, "--model", fixture.OtherModel, "--output", fixture.Temp["other"]);
        Assert.Equal(1, code);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("is not a sentiment model with Bullish and Bearish classes: its classes are 'negative', 'positive'", line);
        Assert.DoesNotContain("RESULT", stdout);
    }

    [Fact]
    public void PricesOutOfOrderEndWithOneErrorLineNamingTheLine()
    {
        string folder = Directory.CreateDirectory(fixture.Temp["unordered"]).FullName;
        File.Copy(Path.Combine(fixture.Folder, "tweets.csv"), Path.Combine(folder, "tweets.csv"));
        var lines = File.ReadAllLines(Path.Combine(fixture.Folder, "prices.csv"));
        (lines[10], lines[11]) = (lines[11], lines[10]);
        File.WriteAllLines(Path.Combine(folder, "prices.csv"), lines);

        var (code, _, stderr) = Sample("--backtest", folder, "--model", fixture.Model, "--output", fixture.Temp["unordered-out"]);
        Assert.Equal(1, code);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("prices.csv line 12: AAA", line);
        Assert.Contains("expected each ticker's dates in increasing order", line);
    }
}
