using System.Globalization;
using System.Text;
using Microsoft.ML.Lora.Tests.Tokenization;
using Microsoft.ML.Lora.Tokenization;
using Xunit;
using Xunit.Abstractions;

namespace Microsoft.ML.Lora.Tests.Reliability.Text;

/// <summary>
/// 100,000 seeded random strings from every Unicode plane — combining marks, C0/C1 controls, bidi and format controls, RTL
/// scripts, CJK, emoji, private use, unassigned code points, lone surrogates — tokenized with MiniLM's vocabulary and
/// compared with FastBertTokenizer. They agree on every string once six known FastBertTokenizer departures from Hugging
/// Face's BertTokenizer are applied to its input (each rule below names the Hugging Face behaviour this library follows);
/// any other difference fails the test.
/// </summary>
public class TokenizerFuzzTests(ITestOutputHelper output)
{
    private const int Strings = 100_000;

    /// <summary>What Hugging Face does and FastBertTokenizer does not, as a rewrite of FastBertTokenizer's input.</summary>
    private enum Rule
    {
        /// <summary>HF's (Rust) BertNormalizer removes every "C*" code point: lone surrogates (Cs), private use (Co), unassigned (Cn); FastBertTokenizer keeps them (the word becomes [UNK]).</summary>
        OtherCategoriesRemoved,
        /// <summary>VT, FF and NEL are controls (Cc), removed by cleaning, so their neighbours join; FastBertTokenizer splits on them as whitespace.</summary>
        ControlWhitespaceRemoved,
        /// <summary>HF strips every nonspacing mark after NFD, so a word of marks alone vanishes; FastBertTokenizer emits [UNK] for it.</summary>
        LoneMarksVanish,
        /// <summary>HF pads CJK ideographs of every plane (extensions B–E, compatibility supplement); FastBertTokenizer only those of the BMP.</summary>
        AstralIdeographsSplit,
        /// <summary>HF tests punctuation per code point, so astral "P*" characters (Brahmi, Siddham, Adlam, ...) split words; FastBertTokenizer only BMP ones.</summary>
        AstralPunctuationSplits,
        /// <summary>HF decomposes (NFD) before splitting on punctuation, so U+1FEF GREEK VARIA becomes a split "`"; FastBertTokenizer decomposes afterwards.</summary>
        DecomposedPunctuationSplits,
    }

    [Fact]
    public void RandomUnicodeTokenizesLikeTheReferenceUpToSixExplainedDepartures()
    {
        TextTokenizer ours = TextTokenizer.FromVocabularyFile(MiniLmVocabulary.Path, lowerCase: true);
        var reference = new FastBertTokenizer.BertTokenizer();
        using (var reader = new StreamReader(MiniLmVocabulary.Path)) reference.LoadVocabulary(reader, convertInputToLowercase: true);

        var random = new Random(20261127);
        var used = new Dictionary<Rule, int>();
        int identical = 0;
        var unexplained = new List<string>();
        for (int i = 0; i < Strings; i++)
        {
            var text = RandomText(random);
            var actual = ours.Encode(text, maxLength: 512).InputIds.ToArray().Select(id => (long)id).ToArray();
            if (reference.Encode(text, maximumTokens: 512).InputIds.ToArray().SequenceEqual(actual)) { identical++; continue; }
            var (rewritten, rules) = AsHuggingFaceSeesIt(text);
            if (reference.Encode(rewritten, maximumTokens: 512).InputIds.ToArray().SequenceEqual(actual))
            {
                foreach (var r in rules) used[r] = used.GetValueOrDefault(r) + 1;
                continue;
            }
            unexplained.Add($"{Escape(text)}\n  FastBert: {string.Join(' ', reference.Encode(text, maximumTokens: 512).InputIds.ToArray().Select(id => ours.IdToToken((int)id)))}\n  ours:     {string.Join(' ', actual.Select(id => ours.IdToToken((int)id)))}");
        }
        output.WriteLine($"{identical} of {Strings} identical as they are; the rest after: {string.Join(", ", used.Select(kv => $"{kv.Key} ({kv.Value})"))}");
        Assert.True(unexplained.Count == 0, $"{unexplained.Count} unexplained differences:\n{string.Join("\n", unexplained.Take(10))}");
        Assert.True(identical > Strings / 2, $"only {identical} identical: the generator lost its plain text");
        Assert.Equal(Enum.GetValues<Rule>().Length, used.Count);   // every departure occurs (the generator covers each case)
    }

    /// <summary>The input rewritten so that FastBertTokenizer applies the Hugging Face rules above; also the rules that fired.</summary>
    private static (string Text, HashSet<Rule> Rules) AsHuggingFaceSeesIt(string text)
    {
        var b = new StringBuilder();
        var rules = new HashSet<Rule>();
        for (int i = 0; i < text.Length; i++)
        {
            int cp = text[i];
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) cp = char.ConvertToUtf32(text[i], text[++i]);
            var category = cp is >= 0xD800 and <= 0xDFFF ? UnicodeCategory.Surrogate : Rune.GetUnicodeCategory(new Rune(cp));
            string s = cp is >= 0xD800 and <= 0xDFFF ? "" : char.ConvertFromUtf32(cp);
            if (category is UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned) rules.Add(Rule.OtherCategoriesRemoved);
            else if (cp is 0x0B or 0x0C or 0x85) rules.Add(Rule.ControlWhitespaceRemoved);
            else if (category == UnicodeCategory.NonSpacingMark) rules.Add(Rule.LoneMarksVanish);
            else if (cp > 0xFFFF && IsCjkIdeograph(cp)) { rules.Add(Rule.AstralIdeographsSplit); b.Append(' ').Append(s).Append(' '); }
            else if (cp > 0xFFFF && IsPunctuation(cp)) { rules.Add(Rule.AstralPunctuationSplits); b.Append(' ').Append(s).Append(' '); }
            else if (s.Normalize(NormalizationForm.FormD) is var d && d != s && d.EnumerateRunes().Any(r => IsPunctuation(r.Value)))
            {
                rules.Add(Rule.DecomposedPunctuationSplits);
                b.Append(' ').Append(string.Concat(d.EnumerateRunes().Where(r => Rune.GetUnicodeCategory(r) != UnicodeCategory.NonSpacingMark))).Append(' ');
            }
            else b.Append(s);
        }
        return (b.ToString(), rules);
    }

    // Hugging Face's definitions (BasicTokenizer._is_punctuation and _is_chinese_char), written out here rather than taken
    // from the library under test.
    private static bool IsPunctuation(int cp) => cp is (>= 33 and <= 47) or (>= 58 and <= 64) or (>= 91 and <= 96) or (>= 123 and <= 126)
        || Rune.GetUnicodeCategory(new Rune(cp)) is UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation or UnicodeCategory.OpenPunctuation
            or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation;

    private static bool IsCjkIdeograph(int cp) => cp is (>= 0x4E00 and <= 0x9FFF) or (>= 0x3400 and <= 0x4DBF) or (>= 0x20000 and <= 0x2A6DF)
        or (>= 0x2A700 and <= 0x2B73F) or (>= 0x2B740 and <= 0x2B81F) or (>= 0x2B820 and <= 0x2CEAF) or (>= 0xF900 and <= 0xFAFF) or (>= 0x2F800 and <= 0x2FA1F);

    internal static string Escape(string s) => string.Concat(s.Select(c => c < 0x20 || c > 0x7e ? $"\\u{(int)c:X4}" : c.ToString()));

    /// <summary>Up to 23 code units drawn from sixteen classes, a third of them plain lower-case ASCII (so words form).</summary>
    internal static string RandomText(Random r)
    {
        var b = new StringBuilder();
        int n = r.Next(0, 24);
        for (int i = 0; i < n; i++)
        {
            switch (r.Next(16))
            {
                case 0: case 1: case 2: b.Append((char)r.Next('a', 'z' + 1)); break;
                case 3: b.Append(" \t\n\r\u00A0\u2003\u3000\u200B"[r.Next(8)]); break;   // whitespace, and ZWSP (a format control)
                case 4: b.Append((char)r.Next(0x21, 0x7F)); break;                        // ASCII punctuation, digits, capitals
                case 5: b.Append((char)r.Next(0xC0, 0x250)); break;                       // Latin-1 and Latin Extended
                case 6: b.Append((char)r.Next(0x300, 0x370)); break;                      // combining marks
                case 7: b.Append((char)(r.Next(2) == 0 ? r.Next(0, 0x20) : r.Next(0x7F, 0xA0))); break;   // C0 and C1 controls
                case 8: b.Append((char)r.Next(0x590, 0x700)); break;                      // Hebrew, Arabic (RTL)
                case 9: b.Append("\u200E\u200F\u202A\u202B\u202C\u202D\u202E\u2066\u2069\u200D\uFEFF"[r.Next(11)]); break;   // bidi controls, ZWJ, BOM
                case 10: b.Append((char)r.Next(0x4E00, 0xA000)); break;                   // CJK
                case 11: b.Append(char.ConvertFromUtf32(r.Next(0x1F300, 0x1FAFF))); break;   // emoji (astral)
                case 12: b.Append(char.ConvertFromUtf32(r.Next(0x10000, 0x110000))); break;  // any astral plane
                case 13: b.Append((char)r.Next(0xD800, 0xE000)); break;                   // a lone surrogate
                case 14: b.Append((char)r.Next(0x370, 0x2000)); break;                    // Greek, Cyrillic, Indic, ...
                default: b.Append((char)r.Next(0x2000, 0xFFFF) is var c && (c < 0xD800 || c > 0xDFFF) ? c : 'x'); break;   // the rest of the BMP
            }
        }
        return b.ToString();
    }
}
