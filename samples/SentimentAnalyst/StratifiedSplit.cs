namespace SentimentAnalyst;

/// <summary>Seeded, stratified sampling: every class keeps its share in both parts, so a rare class is not lost to a split.</summary>
public static class StratifiedSplit
{
    /// <summary>
    /// Moves <paramref name="fraction"/> of each class (rounded, at least one row of any class with two or more rows) into
    /// the second part. Both parts keep the input order.
    /// </summary>
    public static (List<LabelledText> Kept, List<LabelledText> HeldOut) Split(IReadOnlyList<LabelledText> rows, double fraction, int seed)
    {
        var random = new Random(seed);
        var heldOut = new HashSet<int>();
        foreach (var group in Enumerable.Range(0, rows.Count).GroupBy(i => rows[i].Label).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var members = group.ToArray();
            int take = (int)Math.Round(members.Length * fraction);
            if (take == 0 && members.Length >= 2 && fraction > 0) take = 1;
            if (take >= members.Length) take = members.Length - 1;   // every class keeps a row on the training side
            random.Shuffle(members);
            heldOut.UnionWith(members.Take(take));
        }
        var kept = new List<LabelledText>();
        var held = new List<LabelledText>();
        for (int i = 0; i < rows.Count; i++) (heldOut.Contains(i) ? held : kept).Add(rows[i]);
        return (kept, held);
    }

    /// <summary>At most <paramref name="count"/> rows, drawn with each class's share (the files are sorted by label, so the first rows would be one class).</summary>
    public static List<LabelledText> Sample(IReadOnlyList<LabelledText> rows, int count, int seed)
        => count >= rows.Count ? rows.ToList() : Split(rows, (double)count / rows.Count, seed).HeldOut;
}
