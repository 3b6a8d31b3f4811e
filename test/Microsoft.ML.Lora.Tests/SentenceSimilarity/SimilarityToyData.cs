namespace Microsoft.ML.Lora.Tests.SentenceSimilarity;

public sealed class PairRow
{
    public string Sentence1 { get; set; } = "";
    public string Sentence2 { get; set; } = "";
    public float Label { get; set; }
}

public sealed class PairInput
{
    public string Sentence1 { get; set; } = "";
    public string Sentence2 { get; set; } = "";
}

public sealed class PairScore
{
    public float Score { get; set; }
}

internal static class SimilarityToyData
{
    /// <summary>
    /// Pairs over the tiny vocabulary whose score is 2.5 per positive sentence (0, 2.5 or 5): learnable by a tiny model,
    /// and it needs both sentences of the pair.
    /// </summary>
    public static PairRow[] Pairs(float scale = 1, float offset = 0)
    {
        var templates = new[] { "the stock was {0} today", "{0} news", "the market is very {0}", "apple shares {0}" };
        var positive = new[] { "good", "great", "excellent", "happy" };
        var negative = new[] { "bad", "awful", "terrible", "sad" };
        var rows = new List<PairRow>();
        for (int i = 0; i < 48; i++)
        {
            bool p1 = i % 2 == 0, p2 = i / 2 % 2 == 0;
            string w1 = (p1 ? positive : negative)[i % 4], w2 = (p2 ? positive : negative)[(i / 3) % 4];
            float score = 2.5f * ((p1 ? 1 : 0) + (p2 ? 1 : 0));
            rows.Add(new PairRow
            {
                Sentence1 = string.Format(templates[i % 4], w1),
                Sentence2 = string.Format(templates[(i / 4) % 4], w2),
                Label = score * scale + offset,
            });
        }
        return rows.ToArray();
    }

    /// <summary>Pairs to score, one of them with an empty sentence (valid input when scoring).</summary>
    public static PairInput[] Probe() => new[]
    {
        new PairInput { Sentence1 = "good news", Sentence2 = "the market is very great" },
        new PairInput { Sentence1 = "awful news", Sentence2 = "apple shares sad" },
        new PairInput { Sentence1 = "the stock was good today", Sentence2 = "bad news" },
        new PairInput { Sentence1 = "", Sentence2 = "happy" },
        new PairInput { Sentence1 = "paris visited london", Sentence2 = string.Join(' ', Enumerable.Repeat("profit", 200)) },
    };
}
