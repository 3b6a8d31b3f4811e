namespace Microsoft.ML.Lora.Tokenization;

/// <summary>
/// Reusable output of <see cref="BertBasicTokenizer"/>: the normalized characters of all tokens in one array and
/// the tokens pointing into it, so that tokenizing a batch allocates nothing per word. Not thread-safe; use one per thread.
/// </summary>
/// <remarks>
/// Every normalized character also records the UTF-16 range of the original text it came from (a lower-cased or
/// accent-stripped letter maps to the letter it was made from, with the marks dropped after it), so that any run of
/// normalized characters, a word piece say, maps back to an exact substring of the original text.
/// </remarks>
internal sealed class BasicTokenBuffer
{
    private char[] _characters = new char[256];
    private int[] _sourceStarts = new int[256];
    private int[] _sourceEnds = new int[256];

    /// <summary>The tokens found since the last <see cref="Clear"/>.</summary>
    public List<BasicToken> Tokens { get; } = new();

    /// <summary>The normalized characters; valid up to <see cref="CharacterCount"/>.</summary>
    public ReadOnlySpan<char> Characters => _characters.AsSpan(0, CharacterCount);

    /// <summary>Number of normalized characters written.</summary>
    public int CharacterCount { get; private set; }

    /// <summary>The normalized text of a token of this buffer.</summary>
    public ReadOnlySpan<char> TextOf(BasicToken token) => _characters.AsSpan(token.Start, token.Length);

    /// <summary>Where the original text of normalized character <paramref name="index"/> starts (UTF-16 index).</summary>
    public int SourceStartOf(int index) => _sourceStarts[index];

    /// <summary>Where the original text of normalized character <paramref name="index"/> ends (UTF-16 index, exclusive).</summary>
    public int SourceEndOf(int index) => _sourceEnds[index];

    /// <summary>Forgets all tokens and characters, keeping the storage.</summary>
    public void Clear()
    {
        Tokens.Clear();
        CharacterCount = 0;
    }

    /// <summary>Appends normalized characters made from the original text [<paramref name="sourceStart"/>, <paramref name="sourceEnd"/>).</summary>
    internal void Append(ReadOnlySpan<char> text, int sourceStart, int sourceEnd)
    {
        if (CharacterCount + text.Length > _characters.Length)
        {
            int size = Math.Max(_characters.Length * 2, CharacterCount + text.Length);
            Array.Resize(ref _characters, size);
            Array.Resize(ref _sourceStarts, size);
            Array.Resize(ref _sourceEnds, size);
        }

        text.CopyTo(_characters.AsSpan(CharacterCount));
        _sourceStarts.AsSpan(CharacterCount, text.Length).Fill(sourceStart);
        _sourceEnds.AsSpan(CharacterCount, text.Length).Fill(sourceEnd);
        CharacterCount += text.Length;
    }

    /// <summary>
    /// Extends the original range of the last character to <paramref name="sourceEnd"/>: an original character that
    /// normalizes to nothing (a stripped accent, a removed control character) belongs to the character before it.
    /// </summary>
    internal void ExtendLastSource(int sourceEnd) => _sourceEnds[CharacterCount - 1] = sourceEnd;
}
