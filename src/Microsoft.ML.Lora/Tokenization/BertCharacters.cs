using System.Globalization;
using System.Text;

namespace Microsoft.ML.Lora.Tokenization;

/// <summary>
/// The character classes of BERT's reference BasicTokenizer (Google's tokenization.py, Hugging Face's
/// BasicTokenizer and BertNormalizer/BertPreTokenizer), decided per Unicode scalar value.
/// </summary>
internal static class BertCharacters
{
    /// <summary>
    /// Removed by text cleaning: NUL, U+FFFD and every "C*" category except tab, newline and carriage return
    /// (the reference treats those three as whitespace, not as control characters).
    /// </summary>
    public static bool IsRemovedByCleaning(Rune rune, UnicodeCategory category)
    {
        int value = rune.Value;
        if (value == 0 || value == 0xFFFD)
        {
            return true;
        }

        if (value is '\t' or '\n' or '\r')
        {
            return false;
        }

        return category is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate
            or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned;
    }

    /// <summary>
    /// Word separators. The Python reference maps tab/newline/CR and Zs to a space and then splits with
    /// <c>str.split()</c>, which also splits on U+2028/U+2029 (Zl/Zp); the Rust reference uses the Unicode
    /// White_Space property. Both agree on this set once control characters are cleaned; the remaining
    /// White_Space controls (VT, FF, NEL) are included for the no-cleaning configuration.
    /// </summary>
    public static bool IsWhitespace(Rune rune, UnicodeCategory category)
    {
        int value = rune.Value;
        if (value is ' ' or '\t' or '\n' or '\r' or '\v' or '\f' or 0x85)
        {
            return true;
        }

        return category is UnicodeCategory.SpaceSeparator or UnicodeCategory.LineSeparator
            or UnicodeCategory.ParagraphSeparator;
    }

    /// <summary>
    /// BERT's punctuation: every non-alphanumeric ASCII character (so <c>$ + &lt; = &gt; ^ ` | ~</c> too)
    /// plus every Unicode "P*" category. Other symbols (€, °, ©, emoji) are not punctuation and stay in their word.
    /// </summary>
    public static bool IsPunctuation(Rune rune)
    {
        int value = rune.Value;
        if (value is (>= 33 and <= 47) or (>= 58 and <= 64) or (>= 91 and <= 96) or (>= 123 and <= 126))
        {
            return true;
        }

        return Rune.GetUnicodeCategory(rune) is UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation
            or UnicodeCategory.OpenPunctuation or UnicodeCategory.ClosePunctuation
            or UnicodeCategory.InitialQuotePunctuation or UnicodeCategory.FinalQuotePunctuation
            or UnicodeCategory.OtherPunctuation;
    }

    /// <summary>
    /// The "Chinese character" blocks of the reference (CJK Unified Ideographs and extensions, compatibility
    /// ideographs); Hiragana, Katakana and Hangul are deliberately not included, exactly as in the reference.
    /// </summary>
    public static bool IsCjkIdeograph(int codePoint) =>
        codePoint is (>= 0x4E00 and <= 0x9FFF)
            or (>= 0x3400 and <= 0x4DBF)
            or (>= 0x20000 and <= 0x2A6DF)
            or (>= 0x2A700 and <= 0x2B73F)
            or (>= 0x2B740 and <= 0x2B81F)
            or (>= 0x2B820 and <= 0x2CEAF)
            or (>= 0xF900 and <= 0xFAFF)
            or (>= 0x2F800 and <= 0x2FA1F);

    /// <summary>
    /// Unicode "cased" for the Final_Sigma rule of full lower-casing. Approximated by the letter case categories
    /// (Lu, Ll, Lt); the few Other_Lowercase/Other_Uppercase symbols (ª, ʰ, Ⓐ...) are not included.
    /// </summary>
    public static bool IsCased(Rune rune) =>
        Rune.GetUnicodeCategory(rune) is UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter
            or UnicodeCategory.TitlecaseLetter;

    /// <summary>Unicode Case_Ignorable, used by the Final_Sigma rule to look past marks and apostrophes.</summary>
    public static bool IsCaseIgnorable(Rune rune)
    {
        int value = rune.Value;
        if (value is '\'' or '.' or ':' or 0x00B7 or 0x0387 or 0x055F or 0x05F4 or 0x2018 or 0x2019 or 0x2024
            or 0x2027 or 0xFE13 or 0xFE52 or 0xFE55 or 0xFF07 or 0xFF0E or 0xFF1A)
        {
            return true;
        }

        return Rune.GetUnicodeCategory(rune) is UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark
            or UnicodeCategory.Format or UnicodeCategory.ModifierLetter or UnicodeCategory.ModifierSymbol;
    }
}
