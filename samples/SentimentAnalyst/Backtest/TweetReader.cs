using System.Globalization;
using System.Text.RegularExpressions;

namespace SentimentAnalyst.Backtest;

/// <summary>
/// Reads StockNet's <c>tweets.csv</c> (<c>ticker,file_date,created_at_utc,text</c>). Only the creation time is used for
/// dating: <c>file_date</c> is the dataset's own filing day, which puts late-evening tweets on the next calendar day.
/// </summary>
public static class TweetReader
{
    /// <summary>The name of the file in a StockNet folder.</summary>
    public const string FileName = "tweets.csv";

    /// <summary>Reads every tweet of <paramref name="path"/>, in file order.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">A missing column, an empty ticker or text, or a creation time that is not ISO-8601 UTC; the message names the line.</exception>
    public static List<Tweet> Read(string path)
    {
        var csv = CsvRecords.Open(path);
        int tickerColumn = csv.Column("ticker"), timeColumn = csv.Column("created_at_utc"), textColumn = csv.Column("text");
        var tweets = new List<Tweet>();
        foreach (var (line, fields) in csv.Records())
        {
            string ticker = fields[tickerColumn].Trim().ToUpperInvariant();
            if (ticker.Length == 0) throw new InvalidDataException($"{csv.FileName} line {line}: the ticker is empty.");
            string text = fields[textColumn];
            if (string.IsNullOrWhiteSpace(text)) throw new InvalidDataException($"{csv.FileName} line {line}: the text of this {ticker} tweet is empty.");
            tweets.Add(new Tweet(ticker, ParseUtc(fields[timeColumn], csv.FileName, line), text, line));
        }
        if (tweets.Count == 0) throw new InvalidDataException($"{path}: no tweets after the header.");
        return tweets;
    }

    /// <summary>An ISO-8601 time with a UTC designator or an offset (2014-01-01T03:59:03Z), as UTC.</summary>
    private static DateTime ParseUtc(string value, string file, int line)
    {
        value = value.Trim();
        bool zoned = value.EndsWith('Z') || Regex.IsMatch(value, @"[+-]\d\d:\d\d$");
        if (!zoned || !DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.None, out var time))
            throw new InvalidDataException($"{file} line {line}: created_at_utc '{value}' is not an ISO-8601 time with a UTC designator, like 2014-01-01T03:59:03Z.");
        return time.UtcDateTime;
    }
}
