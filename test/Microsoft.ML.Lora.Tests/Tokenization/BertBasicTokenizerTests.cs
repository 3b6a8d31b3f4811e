using Microsoft.ML.Lora.Tokenization;
using Xunit;

namespace Microsoft.ML.Lora.Tests.Tokenization;

public class BertBasicTokenizerTests
{
    private static readonly BertBasicTokenizer Uncased = new(lowerCase: true, stripAccents: true);
    private static readonly BertBasicTokenizer Cased = new(lowerCase: false, stripAccents: false);

    [Theory]
    [InlineData("$ALLY - Ally Financial", new[] { "$", "ally", "-", "ally", "financial" })]
    [InlineData("1+1=2 <b> a|b ~x^y `z`", new[] { "1", "+", "1", "=", "2", "<", "b", ">", "a", "|", "b", "~", "x", "^", "y", "`", "z", "`" })]
    [InlineData("U.S. stocks…", new[] { "u", ".", "s", ".", "stocks", "…" })]
    [InlineData("“quoted” — dash", new[] { "“", "quoted", "”", "—", "dash" })]
    public void SplitsOnAllAsciiSymbolsAndUnicodePunctuation(string text, string[] expected) =>
        Assert.Equal(expected, Uncased.TokenizeToStrings(text));

    [Theory]
    [InlineData("€100 20°C ©2024 great🚀", new[] { "€100", "20°c", "©2024", "great🚀" })]
    public void KeepsNonPunctuationSymbolsInsideTheirWord(string text, string[] expected) =>
        Assert.Equal(expected, Uncased.TokenizeToStrings(text));

    [Theory]
    [InlineData("line one\nline two", new[] { "line", "one", "line", "two" })]
    [InlineData("tab\there\r\nnext", new[] { "tab", "here", "next" })]
    [InlineData("no\u00A0break\u2003em\u2028line\u2029para", new[] { "no", "break", "em", "line", "para" })]
    [InlineData("   ", new string[0])]
    [InlineData("", new string[0])]
    public void NewlinesTabsAndUnicodeSpacesSeparateWords(string text, string[] expected) =>
        Assert.Equal(expected, Uncased.TokenizeToStrings(text));

    [Theory]
    [InlineData("ab\u0000cd", new[] { "abcd" })]
    [InlineData("ab\u200Bcd\uFFFDef", new[] { "abcdef" })]
    [InlineData("x\u0007 \u0085 \u009D y", new[] { "x", "y" })]
    [InlineData("emoji\u200D\uFE0Fjoin", new[] { "emojijoin" })]
    [InlineData("\u0007\u0008", new string[0])]
    public void RemovesControlAndFormatCharacters(string text, string[] expected) =>
        Assert.Equal(expected, Uncased.TokenizeToStrings(text));

    [Fact]
    public void RemovesUnpairedSurrogates() =>
        Assert.Equal(new[] { "ab" }, Uncased.TokenizeToStrings("a\uD800b"));

    [Fact]
    public void SplitsCjkIdeographsIntoSingleTokensButNotKana() =>
        Assert.Equal(new[] { "abc", "中", "文", "def", "カタカナ" }, Uncased.TokenizeToStrings("abc中文def カタカナ"));

    [Theory]
    [InlineData("Café", "cafe")]
    [InlineData("NAÏVE Ångström", "naive angstrom")]
    [InlineData("İstanbul", "istanbul")]
    [InlineData("ΟΔΟΣ ΣΑΣ", "οδος σας")]
    [InlineData("e\u0301", "e")]
    public void UncasedLowerCasesAndStripsAccents(string text, string expected) =>
        Assert.Equal(expected.Split(' '), Uncased.TokenizeToStrings(text));

    [Fact]
    public void AWordOfOnlyCombiningMarksVanishesWhenAccentsAreStripped() =>
        Assert.Empty(Uncased.TokenizeToStrings("\u0301\u0308"));

    [Fact]
    public void CasedKeepsCaseAndAccents() =>
        Assert.Equal(new[] { "Café", "$", "ALLY" }, Cased.TokenizeToStrings("Café $ALLY"));

    [Fact]
    public void LowerCaseWithoutAccentStrippingKeepsAccents()
    {
        var tokenizer = new BertBasicTokenizer(lowerCase: true, stripAccents: false);
        Assert.Equal(new[] { "café", "i\u0307stanbul" }, tokenizer.TokenizeToStrings("CAFÉ İstanbul"));
    }

    [Fact]
    public void ReportsOffsetsIntoTheOriginalText()
    {
        const string text = "Héllo,\u200B wörld!\n中x";
        var buffer = new BasicTokenBuffer();
        Uncased.Tokenize(text, buffer);

        var actual = buffer.Tokens
            .Select(t => (buffer.TextOf(t).ToString(), text.Substring(t.SourceStart, t.SourceLength)))
            .ToArray();
        Assert.Equal(
            new[] { ("hello", "Héllo"), (",", ","), ("world", "wörld"), ("!", "!"), ("中", "中"), ("x", "x") },
            actual);
    }

    [Fact]
    public void OffsetsCoverSurrogatePairs()
    {
        const string text = "a 𝐀𝐁!";
        var buffer = new BasicTokenBuffer();
        Cased.Tokenize(text, buffer);

        Assert.Equal(3, buffer.Tokens.Count);
        Assert.Equal((2, 4), (buffer.Tokens[1].SourceStart, buffer.Tokens[1].SourceLength));
        Assert.Equal("𝐀𝐁", buffer.TextOf(buffer.Tokens[1]).ToString());
        Assert.Equal((6, 1), (buffer.Tokens[2].SourceStart, buffer.Tokens[2].SourceLength));
    }

    [Fact]
    public void WithoutCjkSplittingIdeographsStayInTheirWord()
    {
        var tokenizer = new BertBasicTokenizer(lowerCase: true, stripAccents: true, splitCjkIdeographs: false);
        Assert.Equal(new[] { "abc中文def" }, tokenizer.TokenizeToStrings("abc中文def"));
    }
}
