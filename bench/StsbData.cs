using System.Globalization;

namespace Microsoft.ML.Lora.Bench;

/// <summary>
/// The STS Benchmark files in ../shared/data/stsb (README there): UTF-8, tab-separated, no header, no quoting —
/// genre, file, year, id, score (0-5), sentence1, sentence2, and on some rows two attribution fields after them.
/// </summary>
internal static class StsbData
{
    /// <summary>Every pair of <paramref name="path"/> in file order.</summary>
    /// <exception cref="InvalidDataException">A line has fewer than 7 fields or a score that is not a number (names file and line).</exception>
    public static IReadOnlyList<(string A, string B, float Score)> Read(string path)
    {
        var pairs = new List<(string, string, float)>();
        int line = 0;
        foreach (var text in File.ReadLines(path))
        {
            line++;
            if (text.Length == 0) continue;
            var fields = text.Split('\t');   // sentences hold literal quotes: tabs only
            if (fields.Length < 7)
                throw new InvalidDataException($"{path} line {line}: {fields.Length} tab-separated fields, expected at least 7 (genre, file, year, id, score, sentence1, sentence2).");
            if (!float.TryParse(fields[4], NumberStyles.Float, CultureInfo.InvariantCulture, out float score))
                throw new InvalidDataException($"{path} line {line}: score '{fields[4]}' is not a number.");
            pairs.Add((fields[5], fields[6], score));
        }
        return pairs;
    }

    /// <summary>
    /// At most <paramref name="count"/> pairs spread evenly over <paramref name="pairs"/> (every k-th), so that a sample
    /// keeps the mix of genres (the files are sorted by genre: captions, then news, then forums); null = all of them.
    /// </summary>
    public static IReadOnlyList<(string A, string B, float Score)> Spread(IReadOnlyList<(string A, string B, float Score)> pairs, int? count)
    {
        if (count is not { } n || n >= pairs.Count) return pairs;
        return Enumerable.Range(0, n).Select(i => pairs[(int)((long)i * pairs.Count / n)]).ToArray();
    }
}
