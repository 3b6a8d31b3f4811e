using System.Globalization;
using System.Text;

namespace Microsoft.ML.Lora.Bench;

/// <summary>
/// The STS Benchmark as released (../shared/data/stsb): UTF-8, tab-separated, no header, no quoting (sentences contain
/// literal <c>"</c>): <c>genre, file, year, id, score (0–5), sentence1, sentence2</c>, and on some rows two attribution
/// fields after them. Shared by the bench and the tests (linked there), for every task that reads sentence pairs.
/// </summary>
internal static class StsbData
{
    /// <summary>The folder of the data set: ../shared/data/stsb beside the repository at <paramref name="repoRoot"/>.</summary>
    public static string Folder(string repoRoot) => Path.GetFullPath(Path.Combine(repoRoot, "..", "shared", "data", "stsb"));

    /// <summary>sts-train.csv (5,749 pairs).</summary>
    public static string Train(string repoRoot) => Path.Combine(Folder(repoRoot), "sts-train.csv");

    /// <summary>sts-dev.csv (1,500 pairs).</summary>
    public static string Dev(string repoRoot) => Path.Combine(Folder(repoRoot), "sts-dev.csv");

    /// <summary>Every pair of the file, in order.</summary>
    /// <exception cref="FileNotFoundException">The file is missing (the message says where the data is expected).</exception>
    /// <exception cref="InvalidDataException">A line has fewer than 7 fields, or a score that is not a number (names the file and line).</exception>
    public static IReadOnlyList<(string A, string B, float Score)> Read(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"'{path}' is missing: the STS Benchmark is read from ../shared/data/stsb beside the repository.", path);
        var pairs = new List<(string, string, float)>();
        int lineNumber = 0;
        foreach (var line in File.ReadLines(path, Encoding.UTF8))
        {
            lineNumber++;
            if (line.Length == 0) continue;
            var fields = line.Split('\t');
            if (fields.Length < 7)
                throw new InvalidDataException($"'{path}' line {lineNumber}: {fields.Length} tab-separated field(s); expected genre, file, year, id, score, sentence1, sentence2.");
            if (!float.TryParse(fields[4], NumberStyles.Float, CultureInfo.InvariantCulture, out float score) || !float.IsFinite(score))
                throw new InvalidDataException($"'{path}' line {lineNumber}: score '{fields[4]}' is not a number.");
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
