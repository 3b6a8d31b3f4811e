using System.Globalization;
using System.Text;

namespace Microsoft.ML.Lora.Tokenization;

/// <summary>
/// BERT's reference pre-tokenization (Google's <c>BasicTokenizer</c>, Hugging Face's <c>BertNormalizer</c> +
/// <c>BertPreTokenizer</c>), with offsets into the original text:
/// clean the text (drop NUL, U+FFFD, control and format characters; tab/newline/CR and Zs/Zl/Zp separate words),
/// make each CJK ideograph a word, lower-case and strip accents (NFD, drop Mn) when asked, and split every word
/// on punctuation (all non-alphanumeric ASCII and the Unicode P* categories).
/// </summary>
/// <remarks>
/// Microsoft.ML.Tokenizers' <c>WordPieceOptions</c> accepts a <c>Normalizer</c> and a <c>PreTokenizer</c>, but its
/// normalizer maps a whole string to a new string, so offsets into the original text are lost; this class does the
/// reference rules itself in one pass and leaves only the word-piece step to <c>WordPieceTokenizer</c>.
/// Known deviations from Python's <c>str.lower()</c> + <c>unicodedata.normalize("NFD")</c>: NFD is applied per
/// code point, so the canonical reordering of consecutive combining marks that are not Mn is not done (all Mn are
/// dropped anyway); the Final_Sigma rule treats only Lu/Ll/Lt letters as cased.
/// Special tokens written in the text (a literal "[SEP]") are ordinary text, as in Google's reference and
/// Hugging Face's <c>split_special_tokens=True</c>; they are never turned into control tokens.
/// Instances are immutable and thread-safe.
/// </remarks>
internal sealed class BertBasicTokenizer
{
    private const int CapitalSigma = 0x03A3;
    private const int CapitalIWithDotAbove = 0x0130;

    /// <summary>Creates a basic tokenizer with the given normalization.</summary>
    public BertBasicTokenizer(bool lowerCase, bool stripAccents, bool cleanText = true, bool splitCjkIdeographs = true)
    {
        LowerCase = lowerCase;
        StripAccents = stripAccents;
        CleanText = cleanText;
        SplitCjkIdeographs = splitCjkIdeographs;
    }

    /// <summary>Whether text is lower-cased (Python's full lower-casing: İ → i̇, word-final Σ → ς).</summary>
    public bool LowerCase { get; }

    /// <summary>Whether accents are removed (NFD, then non-spacing marks dropped).</summary>
    public bool StripAccents { get; }

    /// <summary>Whether control characters are removed.</summary>
    public bool CleanText { get; }

    /// <summary>Whether every CJK ideograph is a word of its own.</summary>
    public bool SplitCjkIdeographs { get; }

    /// <summary>Appends the tokens of <paramref name="text"/> to <paramref name="output"/> (which is not cleared).</summary>
    public void Tokenize(ReadOnlySpan<char> text, BasicTokenBuffer output)
    {
        int wordStart = -1;
        int i = 0;
        while (i < text.Length)
        {
            int width = ReadRune(text, i, out Rune rune, out UnicodeCategory category);

            if (CleanText && BertCharacters.IsRemovedByCleaning(rune, category))
            {
                // Removed characters join their neighbours: "ab\u200Bcd" is one word.
            }
            else if (BertCharacters.IsWhitespace(rune, category))
            {
                if (wordStart >= 0)
                {
                    EmitWord(text, wordStart, i, output);
                    wordStart = -1;
                }
            }
            else if (SplitCjkIdeographs && BertCharacters.IsCjkIdeograph(rune.Value))
            {
                if (wordStart >= 0)
                {
                    EmitWord(text, wordStart, i, output);
                    wordStart = -1;
                }

                EmitWord(text, i, i + width, output);
            }
            else if (wordStart < 0)
            {
                wordStart = i;
            }

            i += width;
        }

        if (wordStart >= 0)
        {
            EmitWord(text, wordStart, text.Length, output);
        }
    }

    /// <summary>The normalized tokens of <paramref name="text"/> as strings (for tests and diagnostics).</summary>
    public IReadOnlyList<string> TokenizeToStrings(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var buffer = new BasicTokenBuffer();
        Tokenize(text, buffer);
        var result = new string[buffer.Tokens.Count];
        for (int t = 0; t < result.Length; t++)
        {
            result[t] = buffer.TextOf(buffer.Tokens[t]).ToString();
        }

        return result;
    }

    /// <summary>
    /// Normalizes the whitespace-free word text[start..end) and appends it, split on punctuation.
    /// </summary>
    private void EmitWord(ReadOnlySpan<char> text, int start, int end, BasicTokenBuffer output)
    {
        int tokenStart = output.CharacterCount;
        int tokenSourceStart = -1;
        int tokenSourceEnd = -1;

        Span<char> normalized = stackalloc char[64];
        int i = start;
        while (i < end)
        {
            int width = ReadRune(text, i, out Rune rune, out UnicodeCategory category);
            int written = CleanText && BertCharacters.IsRemovedByCleaning(rune, category) ? 0 : Normalize(text, start, end, i, rune, normalized);
            if (written < 0)
            {
                // A decomposition longer than the stack buffer: never seen in Unicode 16, but stay correct.
                normalized = new char[-written];
                written = Normalize(text, start, end, i, rune, normalized);
            }

            if (written == 0)
            {
                // A removed character or a stripped mark belongs to the word piece before it (offsets stay exact substrings).
                if (tokenSourceStart >= 0)
                {
                    tokenSourceEnd = i + width;
                    output.ExtendLastSource(tokenSourceEnd);
                }

                i += width;
                continue;
            }

            int j = 0;
            while (j < written)
            {
                Rune.DecodeFromUtf16(normalized.Slice(j, written - j), out Rune piece, out int pieceWidth);
                if (BertCharacters.IsPunctuation(piece))
                {
                    FlushToken(output, ref tokenStart, ref tokenSourceStart, tokenSourceEnd);
                    output.Append(normalized.Slice(j, pieceWidth), i, i + width);
                    output.Tokens.Add(new BasicToken(tokenStart, pieceWidth, i, width));
                    tokenStart = output.CharacterCount;
                }
                else
                {
                    if (tokenSourceStart < 0)
                    {
                        tokenSourceStart = i;
                    }

                    tokenSourceEnd = i + width;
                    output.Append(normalized.Slice(j, pieceWidth), i, i + width);
                }

                j += pieceWidth;
            }

            i += width;
        }

        FlushToken(output, ref tokenStart, ref tokenSourceStart, tokenSourceEnd);
    }

    private static void FlushToken(BasicTokenBuffer output, ref int tokenStart, ref int tokenSourceStart, int tokenSourceEnd)
    {
        int length = output.CharacterCount - tokenStart;
        if (length > 0)
        {
            output.Tokens.Add(new BasicToken(tokenStart, length, tokenSourceStart, tokenSourceEnd - tokenSourceStart));
        }

        tokenStart = output.CharacterCount;
        tokenSourceStart = -1;
    }

    /// <summary>
    /// Writes the normalized form of one code point to <paramref name="destination"/>; returns the number of chars
    /// written, or minus the needed size when the destination is too small.
    /// </summary>
    private int Normalize(ReadOnlySpan<char> text, int wordStart, int wordEnd, int index, Rune rune, Span<char> destination)
    {
        if (rune.IsAscii)
        {
            int c = rune.Value;
            destination[0] = LowerCase && c is >= 'A' and <= 'Z' ? (char)(c + 32) : (char)c;
            return 1;
        }

        if (!LowerCase && !StripAccents)
        {
            return rune.EncodeToUtf16(destination);
        }

        Span<char> lowered = stackalloc char[4];
        int loweredLength;
        if (!LowerCase)
        {
            loweredLength = rune.EncodeToUtf16(lowered);
        }
        else if (rune.Value == CapitalIWithDotAbove)
        {
            // Python's full lower-casing (SpecialCasing.txt); .NET's invariant casing leaves İ unchanged.
            lowered[0] = 'i';
            lowered[1] = '\u0307';
            loweredLength = 2;
        }
        else if (rune.Value == CapitalSigma)
        {
            lowered[0] = IsFinalSigma(text, wordStart, wordEnd, index) ? 'ς' : 'σ';
            loweredLength = 1;
        }
        else
        {
            loweredLength = Rune.ToLowerInvariant(rune).EncodeToUtf16(lowered);
        }

        ReadOnlySpan<char> source = lowered[..loweredLength];
        if (!StripAccents || (source.IsNormalized(NormalizationForm.FormD) && !ContainsNonSpacingMark(source)))
        {
            if (source.Length > destination.Length)
            {
                return -source.Length;
            }

            source.CopyTo(destination);
            return source.Length;
        }

        Span<char> decomposed = stackalloc char[64];
        if (!source.TryNormalize(decomposed, out int decomposedLength, NormalizationForm.FormD))
        {
            decomposed = source.ToString().Normalize(NormalizationForm.FormD).ToCharArray();
            decomposedLength = decomposed.Length;
        }

        int written = 0;
        int k = 0;
        while (k < decomposedLength)
        {
            Rune.DecodeFromUtf16(decomposed.Slice(k, decomposedLength - k), out Rune part, out int partWidth);
            if (Rune.GetUnicodeCategory(part) != UnicodeCategory.NonSpacingMark)
            {
                if (written + partWidth > destination.Length)
                {
                    return -decomposedLength;
                }

                decomposed.Slice(k, partWidth).CopyTo(destination[written..]);
                written += partWidth;
            }

            k += partWidth;
        }

        return written;
    }

    private static bool ContainsNonSpacingMark(ReadOnlySpan<char> text)
    {
        int k = 0;
        while (k < text.Length)
        {
            Rune.DecodeFromUtf16(text[k..], out Rune part, out int width);
            if (Rune.GetUnicodeCategory(part) == UnicodeCategory.NonSpacingMark)
            {
                return true;
            }

            k += width;
        }

        return false;
    }

    /// <summary>
    /// Unicode's Final_Sigma condition within the word: a cased letter before (past case-ignorables) and no cased
    /// letter after (past case-ignorables). Characters removed by cleaning are skipped, as they are gone before
    /// the reference lower-cases.
    /// </summary>
    private bool IsFinalSigma(ReadOnlySpan<char> text, int wordStart, int wordEnd, int index)
    {
        bool casedBefore = false;
        int i = index;
        while (i > wordStart)
        {
            int width = char.IsLowSurrogate(text[i - 1]) && i - 2 >= wordStart && char.IsHighSurrogate(text[i - 2]) ? 2 : 1;
            i -= width;
            ReadRune(text, i, out Rune before, out UnicodeCategory category);
            if ((CleanText && BertCharacters.IsRemovedByCleaning(before, category)) || BertCharacters.IsCaseIgnorable(before))
            {
                continue;
            }

            casedBefore = BertCharacters.IsCased(before);
            break;
        }

        if (!casedBefore)
        {
            return false;
        }

        i = index + 1;
        while (i < wordEnd)
        {
            int width = ReadRune(text, i, out Rune after, out UnicodeCategory category);
            i += width;
            if ((CleanText && BertCharacters.IsRemovedByCleaning(after, category)) || BertCharacters.IsCaseIgnorable(after))
            {
                continue;
            }

            return !BertCharacters.IsCased(after);
        }

        return true;
    }

    /// <summary>Reads one code point; an unpaired surrogate reads as itself with category Surrogate.</summary>
    private static int ReadRune(ReadOnlySpan<char> text, int index, out Rune rune, out UnicodeCategory category)
    {
        char c = text[index];
        if (c < 0x80)
        {
            rune = new Rune(c);
            category = c < 0x20 || c == 0x7F ? UnicodeCategory.Control : UnicodeCategory.OtherLetter;
            return 1;
        }

        if (Rune.DecodeFromUtf16(text[index..], out rune, out int width) == System.Buffers.OperationStatus.Done)
        {
            category = Rune.GetUnicodeCategory(rune);
            return width;
        }

        // Keep the U+FFFD that DecodeFromUtf16 reports, flagged as a surrogate so cleaning removes it.
        category = UnicodeCategory.Surrogate;
        return 1;
    }
}
