using System.Text;
using System.Text.RegularExpressions;

namespace Microsoft.ML.Lora.QuestionAnswering;

/// <summary>
/// The official SQuAD v1.1 evaluation (<c>evaluate-v1.1.py</c>) for one prediction: answers are normalised (lower-cased,
/// ASCII punctuation removed, the articles a/an/the removed, whitespace collapsed), exact match compares the normalised
/// strings, F1 the bags of their whitespace-separated tokens; against several references the best score counts.
/// </summary>
/// <remarks>
/// Python's rules are kept where .NET differs: <c>\b</c> around articles uses Python's word characters (letters, numbers,
/// underscore; not combining marks), whitespace is <c>str.split()</c>'s (also U+001C–U+001F). Lower-casing is .NET's
/// invariant one, which differs from Python's <c>str.lower()</c> only for İ and a word-final Σ.
/// </remarks>
internal static class SquadScore
{
    private const string Punctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";   // Python's string.punctuation
    private static readonly Regex Articles = new(@"(?<![\p{L}\p{N}_])(a|an|the)(?![\p{L}\p{N}_])", RegexOptions.CultureInvariant);

    /// <summary>The official script's <c>normalize_answer</c>.</summary>
    public static string Normalize(string text)
    {
        var lower = text.ToLowerInvariant();
        var noPunctuation = new StringBuilder(lower.Length);
        foreach (char c in lower)
            if (Punctuation.IndexOf(c) < 0) noPunctuation.Append(c);
        var noArticles = Articles.Replace(noPunctuation.ToString(), " ");
        return string.Join(' ', Tokens(noArticles));
    }

    /// <summary>1 when the normalised strings are equal, else 0.</summary>
    public static double ExactMatch(string prediction, string reference) => Normalize(prediction) == Normalize(reference) ? 1 : 0;

    /// <summary>Token F1 of the normalised strings (0 when they share no token, even when both are empty, as the script does).</summary>
    public static double F1(string prediction, string reference)
    {
        var predicted = Tokens(Normalize(prediction));
        var gold = Tokens(Normalize(reference));
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var t in gold) counts[t] = counts.GetValueOrDefault(t) + 1;
        int same = 0;
        foreach (var t in predicted)
            if (counts.TryGetValue(t, out int n) && n > 0)
            {
                counts[t] = n - 1;
                same++;
            }
        if (same == 0) return 0;
        double precision = (double)same / predicted.Count, recall = (double)same / gold.Count;
        return 2 * precision * recall / (precision + recall);
    }

    /// <summary>The best exact match and the best F1 of <paramref name="prediction"/> over <paramref name="references"/> (at least one).</summary>
    public static (double ExactMatch, double F1) Best(string prediction, IReadOnlyList<string> references)
    {
        if (references.Count == 0) throw new ArgumentException("At least one reference answer is needed.", nameof(references));
        return (references.Max(r => ExactMatch(prediction, r)), references.Max(r => F1(prediction, r)));
    }

    /// <summary>Python's <c>str.split()</c>: runs of whitespace separate tokens.</summary>
    private static List<string> Tokens(string text)
    {
        var tokens = new List<string>();
        int start = -1;
        for (int i = 0; i <= text.Length; i++)
        {
            bool space = i == text.Length || IsPythonSpace(text[i]);
            if (space && start >= 0)
            {
                tokens.Add(text[start..i]);
                start = -1;
            }
            else if (!space && start < 0) start = i;
        }
        return tokens;
    }

    private static bool IsPythonSpace(char c) => char.IsWhiteSpace(c) || c is >= '\u001C' and <= '\u001F';
}
