using Microsoft.ML.Lora.Tokenization;
using Xunit;

namespace Microsoft.ML.Lora.Tests.Tokenization;

/// <summary>Sub-token → character offsets (<see cref="TextTokenizer.EncodeWithOffsets"/>) with MiniLM's uncased vocabulary (bert-base-uncased's).</summary>
public class OffsetEncodingTests
{
    private static readonly TextTokenizer Tokenizer = TextTokenizer.FromVocabularyFile(MiniLmVocabulary.Path, lowerCase: true);

    private static (string Token, string Source)[] Pieces(string text)
    {
        var e = Tokenizer.EncodeWithOffsets(text);
        return Enumerable.Range(0, e.Count).Select(i => (Tokenizer.IdToToken(e.Ids[i])!, text[e.Starts[i]..e.Ends[i]])).ToArray();
    }

    [Fact]
    public void IdsAreTheOnesEncodeGives()
    {
        const string text = "Apple's Q3 revenue rose 4.5% to $81.8bn — naïve analysts at Société Générale were surprised.";
        var framed = Tokenizer.Encode(text, maxLength: 512).InputIds;
        Assert.Equal(framed.Skip(1).SkipLast(1), Tokenizer.EncodeWithOffsets(text).Ids);
    }

    [Fact]
    public void WordPiecesSplitTheirWordAndAccentsMapToTheLettersAsWritten()
    {
        Assert.Equal(new[] { ("playing", "playing") }, Pieces("playing"));
        Assert.Equal(new[] { ("una", "Una"), ("##ff", "ff"), ("##ord", "ord"), ("##able", "able") }, Pieces("Unaffordable"));
        Assert.Equal(new[] { ("societe", "Société"), ("general", "Général"), ("##e", "e") }, Pieces("Société Générale"));
        // A decomposed accent (e + U+0301) belongs to the letter before it; İ lower-cases to two characters and back to one.
        Assert.Equal(new[] { ("cafe", "cafe\u0301"), ("istanbul", "İstanbul") }, Pieces("cafe\u0301 İstanbul"));
    }

    [Fact]
    public void PunctuationCjkEmojiAndRemovedCharactersKeepExactRanges()
    {
        Assert.Equal(new[] { ("$", "$"), ("81", "81"), (".", "."), ("8", "8"), ("##bn", "bn") }, Pieces("$81.8bn"));
        Assert.Equal(new[] { ("北", "北"), ("京", "京"), ("[UNK]", "是") }, Pieces("北京是"));   // 是 is not in the vocabulary
        // The rocket is not in the vocabulary: one [UNK] covering its surrogate pair.
        Assert.Equal(new[] { ("[UNK]", "🚀"), ("launch", "launch") }, Pieces("🚀 launch"));
        Assert.Equal(new[] { ("[UNK]", "great🚀") }, Pieces("great🚀"));
        // A zero-width space inside a word and a trailing control character are part of the piece they sit in.
        Assert.Equal(new[] { ("abc", "ab\u200Bc"), ("##d", "d\u0007") }, Pieces("ab\u200Bcd\u0007 "));
    }

    [Theory]
    [InlineData("Le CAC 40 a gagné 1,2 % — Ångström & Søn, 株式会社 🚀🚀 ok.\u00A0Fin\tdu\njour")]
    [InlineData("ΟΔΟΣ ΣΑΣ, naïve coöperation, Zürich's 5½-year plan")]
    [InlineData("   ")]
    [InlineData("")]
    public void RangesAreOrderedDisjointAndCoverEveryNonSpaceCharacterOfAWord(string text)
    {
        var e = Tokenizer.EncodeWithOffsets(text);
        Assert.Equal(e.Count, e.Starts.Count);
        Assert.Equal(e.Count, e.Ends.Count);
        for (int i = 0; i < e.Count; i++)
        {
            Assert.True(e.Starts[i] < e.Ends[i], $"token {i} is empty");
            if (i > 0) Assert.True(e.Ends[i - 1] <= e.Starts[i], $"tokens {i - 1} and {i} overlap");
            Assert.False(char.IsLowSurrogate(text[e.Starts[i]]), $"token {i} starts inside a surrogate pair");
            Assert.False(char.IsHighSurrogate(text[e.Ends[i] - 1]), $"token {i} ends inside a surrogate pair");
        }
        // every character between tokens is whitespace: nothing of the text is lost
        var covered = new bool[text.Length];
        for (int i = 0; i < e.Count; i++) for (int c = e.Starts[i]; c < e.Ends[i]; c++) covered[c] = true;
        for (int c = 0; c < text.Length; c++) Assert.True(covered[c] || char.IsWhiteSpace(text[c]), $"character {c} '{text[c]}' is in no token");
    }
}
