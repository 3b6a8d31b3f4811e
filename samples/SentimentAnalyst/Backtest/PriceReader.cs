using System.Globalization;

namespace SentimentAnalyst.Backtest;

/// <summary>
/// Reads StockNet's <c>prices.csv</c> (<c>ticker,date,open,high,low,close,adj_close,volume</c>) into a
/// <see cref="PriceTable"/> of adjusted closes (split- and dividend-adjusted, what returns are computed from).
/// </summary>
public static class PriceReader
{
    /// <summary>The name of the file in a StockNet folder.</summary>
    public const string FileName = "prices.csv";

    /// <summary>Reads <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">
    /// A missing column; an empty, malformed, repeated or out-of-order date of a ticker; an empty, non-numeric or
    /// non-positive adjusted close. The message names the line, the ticker and the date.
    /// </exception>
    public static PriceTable Read(string path)
    {
        var csv = CsvRecords.Open(path);
        int tickerColumn = csv.Column("ticker"), dateColumn = csv.Column("date"), closeColumn = csv.Column("adj_close");
        var series = new Dictionary<string, List<(DateOnly Day, double Close)>>(StringComparer.Ordinal);
        foreach (var (line, fields) in csv.Records())
        {
            string ticker = fields[tickerColumn].Trim().ToUpperInvariant();
            if (ticker.Length == 0) throw new InvalidDataException($"{csv.FileName} line {line}: the ticker is empty.");
            string dateText = fields[dateColumn].Trim();
            if (dateText.Length == 0) throw new InvalidDataException($"{csv.FileName} line {line}: {ticker} has an empty date; expected yyyy-MM-dd.");
            if (!DateOnly.TryParseExact(dateText, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
                throw new InvalidDataException($"{csv.FileName} line {line}: {ticker} date '{dateText}' is not a date like 2014-01-02 (yyyy-MM-dd).");
            string closeText = fields[closeColumn].Trim();
            if (closeText.Length == 0)
                throw new InvalidDataException($"{csv.FileName} line {line}: {ticker} {dateText} has an empty adj_close; expected a positive price.");
            if (!double.TryParse(closeText, NumberStyles.Float, CultureInfo.InvariantCulture, out double close) || !double.IsFinite(close) || close <= 0)
                throw new InvalidDataException($"{csv.FileName} line {line}: {ticker} {dateText} has adj_close '{closeText}'; expected a positive price.");

            if (!series.TryGetValue(ticker, out var points)) series[ticker] = points = new List<(DateOnly, double)>();
            if (points.Count > 0 && points[^1].Day >= day)
            {
                string what = points[^1].Day == day ? "repeats" : "comes after";
                throw new InvalidDataException($"{csv.FileName} line {line}: {ticker} {dateText} {what} {points[^1].Day:yyyy-MM-dd}; expected each ticker's dates in increasing order, once each.");
            }
            points.Add((day, close));
        }
        if (series.Count == 0) throw new InvalidDataException($"{path}: no prices after the header.");
        return new PriceTable(series.ToDictionary(kv => kv.Key, kv => (IReadOnlyList<(DateOnly, double)>)kv.Value, StringComparer.Ordinal));
    }
}
