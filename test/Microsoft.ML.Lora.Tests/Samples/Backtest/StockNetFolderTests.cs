using SentimentAnalyst.Backtest;
using Xunit;

namespace Microsoft.ML.Lora.Tests.Samples.Backtest;

/// <summary>Bad StockNet input ends in an error that names the file, the line, the ticker and what was expected.</summary>
public class StockNetFolderTests : IDisposable
{
    private readonly TempFolder temp = new("lora-stocknet-");

    public void Dispose() => temp.Dispose();

    private const string PriceHeader = "ticker,date,open,high,low,close,adj_close,volume";

    private string Folder(string[] prices, string[]? tweets = null)
    {
        var folder = Directory.CreateDirectory(temp[$"f{Guid.NewGuid():N}"]).FullName;
        File.WriteAllLines(Path.Combine(folder, "prices.csv"), prices);
        File.WriteAllLines(Path.Combine(folder, "tweets.csv"), tweets ??
        [
            "ticker,file_date,created_at_utc,text",
            "AAA,2015-01-05,2015-01-05T15:00:00Z,\"$ aaa up, a lot\"",
            "BBB,2015-01-05,2015-01-05T15:00:00Z,$ bbb down",
        ]);
        return folder;
    }

    private static string Price(string ticker, string date, string adjClose = "10.5") => $"{ticker},{date},10,11,9,10.5,{adjClose},1000";

    [Fact]
    public void AGoodFolderReadsQuotedTextsAndAlignsTickersOnOneCalendar()
    {
        var data = StockNetFolder.Read(Folder([PriceHeader, Price("AAA", "2015-01-02"), Price("AAA", "2015-01-05"), Price("BBB", "2015-01-05")]));

        Assert.Equal("$ aaa up, a lot", data.Tweets[0].Text);
        Assert.Equal(new DateTime(2015, 1, 5, 15, 0, 0, DateTimeKind.Utc), data.Tweets[0].CreatedUtc);
        Assert.Equal(2, data.Prices.Calendar.Count);
        Assert.True(double.IsNaN(data.Prices.Close("BBB", 0)), "BBB has no price on 2015-01-02");
        Assert.Equal(10.5, data.Prices.Close("BBB", 1));
    }

    [Fact]
    public void AMissingPriceFileIsNamed()
    {
        var folder = Folder([PriceHeader]);
        File.Delete(Path.Combine(folder, "prices.csv"));
        var e = Assert.Throws<FileNotFoundException>(() => StockNetFolder.Read(folder));
        Assert.Contains(Path.Combine(folder, "prices.csv"), e.Message);
    }

    [Fact]
    public void ATickerWithTweetsButNoPricesIsNamed()
    {
        var e = Assert.Throws<InvalidDataException>(() => StockNetFolder.Read(Folder([PriceHeader, Price("AAA", "2015-01-05")])));
        Assert.Contains("no prices for BBB (1 tweets, first on line 3 of tweets.csv)", e.Message);
        Assert.Contains("(it has AAA)", e.Message);
    }

    [Theory]
    [InlineData("2015-01-02", "prices.csv line 3: AAA 2015-01-02 comes after 2015-01-05; expected each ticker's dates in increasing order")]
    [InlineData("2015-01-05", "prices.csv line 3: AAA 2015-01-05 repeats 2015-01-05")]
    [InlineData("05/01/2015", "prices.csv line 3: AAA date '05/01/2015' is not a date like 2014-01-02")]
    [InlineData("", "prices.csv line 3: AAA has an empty date")]
    public void DatesOutOfOrderRepeatedOrMalformedNameTheLine(string secondDate, string message)
    {
        var e = Assert.Throws<InvalidDataException>(() => StockNetFolder.Read(Folder([PriceHeader, Price("AAA", "2015-01-05"), Price("AAA", secondDate), Price("BBB", "2015-01-05")])));
        Assert.Contains(message, e.Message);
    }

    [Theory]
    [InlineData("", "prices.csv line 2: AAA 2015-01-05 has an empty adj_close; expected a positive price")]
    [InlineData("0", "prices.csv line 2: AAA 2015-01-05 has adj_close '0'; expected a positive price")]
    [InlineData("n/a", "has adj_close 'n/a'")]
    public void AnEmptyOrBadPriceOnADayNamesTheLine(string adjClose, string message)
    {
        var e = Assert.Throws<InvalidDataException>(() => StockNetFolder.Read(Folder([PriceHeader, Price("AAA", "2015-01-05", adjClose), Price("BBB", "2015-01-05")])));
        Assert.Contains(message, e.Message);
    }

    [Theory]
    [InlineData("AAA,2015-01-05,2015-01-05 15:00:00,text", "tweets.csv line 2: created_at_utc '2015-01-05 15:00:00' is not an ISO-8601 time with a UTC designator")]
    [InlineData("AAA,2015-01-05,2015-01-05T15:00:00Z,", "tweets.csv line 2: the text of this AAA tweet is empty")]
    [InlineData("AAA,2015-01-05,2015-01-05T15:00:00Z", "tweets.csv line 2: 3 fields; expected 4")]
    [InlineData("AAA,2015-01-05,2015-01-05T15:00:00Z,\"never closed", "tweets.csv line 2: a quoted field is never closed")]
    public void BadTweetRowsNameTheLine(string row, string message)
    {
        var folder = Folder([PriceHeader, Price("AAA", "2015-01-05")], ["ticker,file_date,created_at_utc,text", row]);
        var e = Assert.Throws<InvalidDataException>(() => StockNetFolder.Read(folder));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void AMissingColumnListsTheHeader()
    {
        var folder = Folder(["ticker,date,close", "AAA,2015-01-05,10"]);
        var e = Assert.Throws<InvalidDataException>(() => StockNetFolder.Read(folder));
        Assert.Contains("no column 'adj_close' in the header (columns: 'ticker', 'date', 'close')", e.Message);
    }

    [Fact]
    public void DaysWithoutTweetsAndTickersWithoutPricesOnADayAreLeftOutNotGuessed()
    {
        var market = SyntheticMarket.Create(tickers: 12, seed: 5);
        var eastern = EasternTime.Load();
        var calendar = market.Prices.Calendar;
        // Nobody tweets during the whole of March 2015, and only three tickers during April (fewer than the five an IC needs).
        var tweets = market.Attributed(market.Tweets(eastern), eastern)
            .Where(t => calendar[t.DayIndex].Month != 3 || calendar[t.DayIndex].Year != 2015)
            .Where(t => calendar[t.DayIndex].Month != 4 || calendar[t.DayIndex].Year != 2015 || string.CompareOrdinal(t.Ticker, "T03") < 0)
            .ToList();

        var result = BacktestEngine.Run(market.Prices, tweets);

        foreach (var f in result.Figures)
        {
            Assert.DoesNotContain(f.DailyIc, d => calendar[d.DayIndex] is { Year: 2015, Month: 3 or 4 });
            Assert.DoesNotContain(f.DailyLongShort, d => calendar[d.DayIndex] is { Year: 2015, Month: 3 });
            Assert.All(f.DailyIc, d => Assert.True(double.IsFinite(d.Ic)));
            Assert.True(double.IsFinite(f.Ic.Mean) && double.IsFinite(f.Ic.StandardError));
        }
    }
}
