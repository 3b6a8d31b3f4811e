namespace SentimentAnalyst.Backtest;

/// <summary>One tweet as read from <c>tweets.csv</c>: the ticker it was collected for, when it was posted (UTC) and its text.</summary>
/// <param name="Ticker">The ticker, upper case.</param>
/// <param name="CreatedUtc">Creation time, <see cref="DateTimeKind.Utc"/>.</param>
/// <param name="Text">The text as stored (StockNet's pre-processed, lower-cased form).</param>
/// <param name="Line">The line of the file it starts on, for messages.</param>
public sealed record Tweet(string Ticker, DateTime CreatedUtc, string Text, int Line);
