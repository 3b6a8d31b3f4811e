namespace Microsoft.ML.Lora.Tests.TextClassification;

public sealed class ToyRow
{
    public string Sentence1 { get; set; } = "";
    public string Label { get; set; } = "";
}

internal static class ToyData
{
    /// <summary>A separable 3-class set over the tiny vocabulary: the sentiment word decides the class.</summary>
    public static ToyRow[] Sentiment(int repeat = 4)
    {
        var templates = new[] { "the stock was {0} today", "{0} news", "the market is very {0}", "apple shares {0}", "{0} profit at google" };
        var classes = new (string Label, string[] Words)[]
        {
            ("positive", new[] { "good", "great", "excellent", "happy" }),
            ("negative", new[] { "bad", "awful", "terrible", "sad" }),
            ("neutral", new[] { "flat", "neutral", "okay" }),
        };
        var rows = new List<ToyRow>();
        for (int r = 0; r < repeat; r++)
            foreach (var (label, words) in classes)
                foreach (var w in words)
                    rows.Add(new ToyRow { Sentence1 = string.Format(templates[(rows.Count + r) % templates.Length], w), Label = label });
        return rows.ToArray();
    }
}
