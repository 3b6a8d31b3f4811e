namespace Microsoft.ML.Lora.Tests.SentenceEmbedding;

/// <summary>A training row: two sentences and how similar they are (0 to 5, as STS-B).</summary>
public sealed class PairRow
{
    public string Sentence1 { get; set; } = "";
    public string Sentence2 { get; set; } = "";
    public float Score { get; set; }
}

/// <summary>A scoring row: one sentence.</summary>
public sealed class SentenceRow
{
    public string Sentence1 { get; set; } = "";
}

/// <summary>What a PredictionEngine returns.</summary>
public sealed class EmbeddingRow
{
    public float[] Embedding { get; set; } = Array.Empty<float>();
}

/// <summary>Sentence pairs over the tiny vocabulary: the sentiment word decides how similar two sentences are.</summary>
internal static class PairData
{
    private static readonly string[] Templates = { "the stock was {0} today", "{0} news", "the market is very {0}", "apple shares {0}", "{0} profit at google" };
    private static readonly string[][] Classes = { new[] { "good", "great", "excellent", "happy" }, new[] { "bad", "awful", "terrible", "sad" }, new[] { "flat", "neutral", "okay" } };

    /// <summary>Pairs of the same sentiment score 5, positive or negative against neutral 2, positive against negative 0.</summary>
    public static PairRow[] Pairs(int count = 48, int seed = 1)
    {
        var random = new Random(seed);
        var rows = new PairRow[count];
        for (int i = 0; i < count; i++)
        {
            int c1 = random.Next(3), c2 = i % 3 == 0 ? c1 : random.Next(3);
            rows[i] = new PairRow
            {
                Sentence1 = Sentence(random, c1), Sentence2 = Sentence(random, c2),
                Score = c1 == c2 ? 5 : c1 == 2 || c2 == 2 ? 2 : 0,
            };
        }
        return rows;
    }

    /// <summary>Every sentence of <paramref name="rows"/>, first sentences then second ones.</summary>
    public static string[] Sentences(IEnumerable<PairRow> rows) => rows.Select(r => r.Sentence1).Concat(rows.Select(r => r.Sentence2)).ToArray();

    private static string Sentence(Random random, int cls)
        => string.Format(Templates[random.Next(Templates.Length)], Classes[cls][random.Next(Classes[cls].Length)]);
}
