namespace Microsoft.ML.Lora.Tokenization;

/// <summary>
/// Reusable output of <see cref="BertBasicTokenizer"/>: the normalized characters of all tokens in one array and
/// the tokens pointing into it, so that tokenizing a batch allocates nothing per word. Not thread-safe; use one per thread.
/// </summary>
internal sealed class BasicTokenBuffer
{
    private char[] _characters = new char[256];

    /// <summary>The tokens found since the last <see cref="Clear"/>.</summary>
    public List<BasicToken> Tokens { get; } = new();

    /// <summary>The normalized characters; valid up to <see cref="CharacterCount"/>.</summary>
    public ReadOnlySpan<char> Characters => _characters.AsSpan(0, CharacterCount);

    /// <summary>Number of normalized characters written.</summary>
    public int CharacterCount { get; private set; }

    /// <summary>The normalized text of a token of this buffer.</summary>
    public ReadOnlySpan<char> TextOf(BasicToken token) => _characters.AsSpan(token.Start, token.Length);

    /// <summary>Forgets all tokens and characters, keeping the storage.</summary>
    public void Clear()
    {
        Tokens.Clear();
        CharacterCount = 0;
    }

    internal void Append(char c)
    {
        if (CharacterCount == _characters.Length)
        {
            Array.Resize(ref _characters, _characters.Length * 2);
        }

        _characters[CharacterCount++] = c;
    }

    internal void Append(ReadOnlySpan<char> text)
    {
        if (CharacterCount + text.Length > _characters.Length)
        {
            Array.Resize(ref _characters, Math.Max(_characters.Length * 2, CharacterCount + text.Length));
        }

        text.CopyTo(_characters.AsSpan(CharacterCount));
        CharacterCount += text.Length;
    }
}
