using System.Text;

namespace Microsoft.ML.Lora.Tests.Readme;

/// <summary>
/// The files the README's snippets name, made small in a temporary folder (the snippets' working directory): rows of the
/// real data sets in ../shared/data, cut to a size that trains in seconds.
/// </summary>
internal static class ReadmeWorld
{
    /// <summary>The sentiment set's label values by name (0 = Bearish, 1 = Bullish, 2 = Neutral).</summary>
    public static readonly string[] SentimentClasses = ["Bearish", "Bullish", "Neutral"];

    /// <summary>
    /// train.csv (header text,label; label names) with <paramref name="perClass"/> one-line rows and <paramref name="multiline"/>
    /// rows whose quoted text holds a line break, of each class, from the sentiment training set.
    /// </summary>
    public static IReadOnlyList<(string Text, string Label)> WriteSentimentCsv(string path, int perClass, int multiline)
    {
        var records = TestData.ReadCsv(TestData.SentimentTrain).Skip(1).Select(r => (Text: r[0], Label: SentimentClasses[int.Parse(r[1])])).ToList();
        var rows = SentimentClasses.SelectMany(c =>
            records.Where(r => r.Label == c && !r.Text.Contains('\n')).Take(perClass)
                .Concat(records.Where(r => r.Label == c && r.Text.Contains('\n')).Take(multiline))).ToList();
        var csv = new StringBuilder("text,label\n");
        foreach (var (text, label) in rows) csv.Append(Quote(text)).Append(',').Append(label).Append('\n');
        File.WriteAllText(path, csv.ToString());
        return rows;
    }

    /// <summary>A CoNLL file (word tag per line, blank line between sentences) with the first <paramref name="sentences"/> of <paramref name="source"/>.</summary>
    public static IReadOnlyList<ConllSentence> WriteConll(string source, string path, int sentences)
    {
        var taken = ConllReader.Read(source).Take(sentences).ToList();
        File.WriteAllText(path, string.Join("\n\n", taken.Select(s => string.Join("\n", s.Words.Zip(s.Tags, (w, t) => $"{w} {t}")))) + "\n");
        return taken;
    }

    private static string Quote(string field) => field.IndexOfAny([',', '"', '\n', '\r']) < 0 ? field : $"\"{field.Replace("\"", "\"\"")}\"";
}
