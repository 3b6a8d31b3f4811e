using Microsoft.ML.Lora.Tokenization;
using Xunit;

namespace Microsoft.ML.Lora.Tests.Tokenization;

/// <summary>Encoding with MiniLM's uncased vocabulary (bert-base-uncased's).</summary>
public class TextTokenizerTests
{
    private static readonly TextTokenizer Tokenizer = TextTokenizer.FromVocabularyFile(MiniLmVocabulary.Path, lowerCase: true);

    private static string[] Tokens(IEnumerable<int> ids) => ids.Select(id => Tokenizer.IdToToken(id)!).ToArray();

    private static string[] Encoded(string text) => Tokens(Tokenizer.Encode(text).InputIds);

    [Fact]
    public void SpecialIdsComeFromTheVocabulary()
    {
        Assert.Equal((101, 102, 0, 100), (Tokenizer.ClsId, Tokenizer.SepId, Tokenizer.PadId, Tokenizer.UnkId));
        Assert.Equal(30522, Tokenizer.VocabularySize);
        Assert.Equal("[CLS]", Tokenizer.IdToToken(Tokenizer.ClsId));
    }

    [Theory]
    [InlineData("$ALLY", "[CLS] $ ally [SEP]")]
    [InlineData("1+1", "[CLS] 1 + 1 [SEP]")]
    [InlineData("a<b", "[CLS] a < b [SEP]")]
    [InlineData("🚀", "[CLS] [UNK] [SEP]")]
    [InlineData("up 🚀 now", "[CLS] up [UNK] now [SEP]")]
    [InlineData("Café", "[CLS] cafe [SEP]")]
    [InlineData("bank\nshares", "[CLS] bank shares [SEP]")]
    [InlineData("bank\tshares", "[CLS] bank shares [SEP]")]
    [InlineData("ba\u0000nk\u200B", "[CLS] bank [SEP]")]
    [InlineData("中文", "[CLS] 中 文 [SEP]")]
    [InlineData("cryptocurrencies", "[CLS] crypt ##oc ##ur ##ren ##cies [SEP]")]
    public void EncodesLikeBertsReferenceTokenizer(string text, string expected) =>
        Assert.Equal(expected.Split(' '), Encoded(text));

    [Fact]
    public void AWordLongerThan100CodePointsIsOneUnknownToken()
    {
        // FastBertTokenizer splits such a word; the reference (max_input_chars_per_word = 100) does not.
        Assert.Equal(new[] { "[CLS]", "[UNK]", "[SEP]" }, Encoded(new string('a', 150)));
        Assert.Equal(new[] { "[CLS]", "[UNK]", "[SEP]" }, Encoded(new string('a', 101)));
        string[] hundred = Encoded(new string('a', 100));
        Assert.DoesNotContain("[UNK]", hundred);
        Assert.Equal(new string('a', 100), string.Concat(hundred[1..^1].Select(t => t.Replace("##", ""))));
    }

    [Fact]
    public void TheLengthLimitAppliesPerPunctuationSplitWord() =>
        Assert.DoesNotContain("[UNK]", Encoded(string.Join("-", Enumerable.Repeat(new string('a', 60), 3))));

    [Theory]
    [InlineData("")]
    [InlineData("   \n\t ")]
    [InlineData("\u0007\u200B")]
    public void EmptyOrWhitespaceTextIsJustClsSep(string text)
    {
        EncodedText encoded = Tokenizer.Encode(text);
        Assert.Equal(new[] { Tokenizer.ClsId, Tokenizer.SepId }, encoded.InputIds);
        Assert.Equal(new[] { 0, 0 }, encoded.TokenTypeIds);
        Assert.False(encoded.Truncated);
    }

    [Fact]
    public void NullTextIsRejected()
    {
        Assert.Throws<ArgumentNullException>(() => Tokenizer.Encode(null!));
        Assert.Throws<ArgumentNullException>(() => Tokenizer.EncodeBatch(new[] { "a", null! }, null, 16));
        Assert.Throws<ArgumentNullException>(() => Tokenizer.EncodeBatch(new[] { "a" }, new string[] { null! }, 16));
        Assert.Throws<ArgumentNullException>(() => Tokenizer.EncodeWords(new[] { "a", null! }));
    }

    [Fact]
    public void TruncatesALongTextAndSaysHowMuch()
    {
        const string text = "one two three four five six seven eight nine ten eleven twelve";
        EncodedText full = Tokenizer.Encode(text);
        Assert.Equal(14, full.Length);
        Assert.False(full.Truncated);

        EncodedText cut = Tokenizer.Encode(text, maxLength: 8);
        Assert.Equal(8, cut.Length);
        Assert.True(cut.Truncated);
        Assert.Equal(6, cut.DroppedTokenCount);
        Assert.Equal(full.InputIds.Take(7), cut.InputIds.Take(7));
        Assert.Equal(Tokenizer.SepId, cut.InputIds[^1]);
    }

    [Theory]
    // (first, pair) word counts, maxLength → kept words of each, the tokenizers library's longest_first.
    [InlineData(8, 2, 10, 5, 2)]
    [InlineData(4, 4, 10, 3, 4)]
    [InlineData(3, 10, 8, 2, 3)]
    [InlineData(10, 3, 8, 3, 2)]
    [InlineData(6, 0, 5, 2, 0)]
    public void TruncatesAPairLongestFirst(int firstWords, int pairWords, int maxLength, int keepFirst, int keepPair)
    {
        string first = string.Join(' ', Enumerable.Repeat("the", firstWords));
        string pair = string.Join(' ', Enumerable.Repeat("bank", pairWords));
        EncodedText encoded = Tokenizer.Encode(first, pair, maxLength);

        string[] expected = new[] { "[CLS]" }.Concat(Enumerable.Repeat("the", keepFirst)).Append("[SEP]")
            .Concat(Enumerable.Repeat("bank", keepPair)).Append("[SEP]").ToArray();
        Assert.Equal(expected, Tokens(encoded.InputIds));
        Assert.Equal(Enumerable.Repeat(0, keepFirst + 2).Concat(Enumerable.Repeat(1, keepPair + 1)), encoded.TokenTypeIds);
        Assert.Equal(firstWords + pairWords - keepFirst - keepPair, encoded.DroppedTokenCount);
    }

    [Fact]
    public void MaxLengthMustHoldTheSpecialTokens()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Tokenizer.Encode("a", maxLength: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Tokenizer.Encode("a", "b", maxLength: 2));
        Assert.Equal(new[] { Tokenizer.ClsId, Tokenizer.SepId }, Tokenizer.Encode("many words here", maxLength: 2).InputIds);
    }

    [Fact]
    public void BatchIsPaddedToItsLongestRowWithMaskAndTypes()
    {
        string[] texts = { "short", "a somewhat longer headline here", "" };
        EncodedBatch batch = Tokenizer.EncodeBatch(texts, null, maxLength: 64);

        Assert.Equal(3, batch.BatchSize);
        Assert.Equal(7, batch.SequenceLength);
        Assert.Equal(new[] { 3, 7, 2 }, batch.Lengths);
        Assert.Equal(3 * 7, batch.InputIds.Length);
        Assert.Equal(3 * 7, batch.AttentionMask.Length);
        Assert.Equal(3 * 7, batch.TokenTypeIds.Length);
        Assert.Equal(0, batch.TruncatedRowCount);

        for (int row = 0; row < texts.Length; row++)
        {
            int[] single = Tokenizer.Encode(texts[row], maxLength: 64).InputIds.ToArray();
            long[] ids = batch.InputIds[(row * 7)..((row + 1) * 7)];
            long[] mask = batch.AttentionMask[(row * 7)..((row + 1) * 7)];
            Assert.Equal(single.Select(i => (long)i), ids.Take(single.Length));
            Assert.All(ids.Skip(single.Length), id => Assert.Equal(Tokenizer.PadId, id));
            Assert.Equal(Enumerable.Repeat(1L, single.Length).Concat(Enumerable.Repeat(0L, 7 - single.Length)), mask);
        }

        Assert.All(batch.TokenTypeIds, t => Assert.Equal(0L, t));
    }

    [Fact]
    public void BatchOfPairsMatchesSingleEncodingAndCountsTruncatedRows()
    {
        string[] texts = { "rates rise", "stocks fall sharply on weak earnings", "flat" };
        string[] pairs = { "banks gain", "tech leads the market lower today again", "" };
        EncodedBatch batch = Tokenizer.EncodeBatch(texts, pairs, maxLength: 9);

        Assert.Equal(9, batch.SequenceLength);
        Assert.Equal(1, batch.TruncatedRowCount);
        int expectedDropped = 0;
        for (int row = 0; row < texts.Length; row++)
        {
            EncodedText single = Tokenizer.Encode(texts[row], pairs[row], maxLength: 9);
            expectedDropped += single.DroppedTokenCount;
            int t = batch.SequenceLength;
            Assert.Equal(single.Length, batch.Lengths[row]);
            Assert.Equal(single.InputIds.Select(i => (long)i), batch.InputIds.Skip(row * t).Take(single.Length));
            Assert.Equal(single.TokenTypeIds.Select(i => (long)i), batch.TokenTypeIds.Skip(row * t).Take(single.Length));
            Assert.All(batch.TokenTypeIds.Skip(row * t + single.Length).Take(t - single.Length), x => Assert.Equal(0L, x));
        }

        Assert.Equal(expectedDropped, batch.DroppedTokenCount);
        Assert.Equal(new[] { "[CLS]", "flat", "[SEP]", "[SEP]" }, Tokens(Tokenizer.Encode("flat", "").InputIds));
    }

    [Fact]
    public void BatchRejectsAPairCountThatDiffersFromTheTextCount()
    {
        var e = Assert.Throws<ArgumentException>(() => Tokenizer.EncodeBatch(new[] { "a", "b" }, new[] { "c" }, 16));
        Assert.Contains("2 texts but 1 pairs", e.Message);
    }

    [Fact]
    public void EmptyBatchHasNoRows()
    {
        EncodedBatch batch = Tokenizer.EncodeBatch(Array.Empty<string>(), null, 16);
        Assert.Equal((0, 0), (batch.BatchSize, batch.SequenceLength));
        Assert.Empty(batch.InputIds);
    }

    [Fact]
    public void EncodeWordsMapsEveryWordToItsFirstSubToken()
    {
        string[] words = { "Stocks", "$ALLY", "cryptocurrencies", "U.S.", "\u0007", "rally" };
        EncodedWords encoded = Tokenizer.EncodeWords(words);

        Assert.Equal(6, encoded.WordCount);
        Assert.Equal(new[] { 1, 2, 5, 4, 1, 1 }, encoded.WordTokenCount);
        Assert.Equal(new[] { 0, 1, 3, 8, 12, 13 }, encoded.WordFirstToken);
        Assert.Equal(
            "stocks $ ally crypt ##oc ##ur ##ren ##cies u . s . [UNK] rally".Split(' '),
            Tokens(encoded.TokenIds));
        Assert.DoesNotContain(Tokenizer.ClsId, encoded.TokenIds);
    }

    [Fact]
    public void EncodeWordsAgreesWithEncodingTheJoinedText()
    {
        string[] words = { "Ally", "Financial", "pulls", "outlook", "(", "Reuters", ")", "-", "Café" };
        EncodedWords encoded = Tokenizer.EncodeWords(words);
        int[] joined = Tokenizer.Encode(string.Join(' ', words)).InputIds.ToArray();
        Assert.Equal(joined[1..^1], encoded.TokenIds);
    }

    [Fact]
    public void IsThreadSafe()
    {
        string[] texts = TestData.ReadFinancialNewsValidation().Select(r => r.Text).Take(400).ToArray();
        int[][] expected = texts.Select(t => Tokenizer.Encode(t).InputIds.ToArray()).ToArray();
        Parallel.For(0, 8, _ =>
        {
            for (int i = 0; i < texts.Length; i++)
            {
                Assert.Equal(expected[i], Tokenizer.Encode(texts[i]).InputIds);
            }
        });
    }
}
