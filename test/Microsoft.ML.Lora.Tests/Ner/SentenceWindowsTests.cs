using Microsoft.ML.Lora.Ner;
using Microsoft.ML.Lora.Tokenization;
using Xunit;

namespace Microsoft.ML.Lora.Tests.Ner;

public class SentenceWindowsTests : IDisposable
{
    private const int Ignored = NerWindow.IgnoredLabel;
    private readonly TempFolder temp = new();
    private readonly TextTokenizer tokenizer;

    public SentenceWindowsTests() => tokenizer = TextTokenizer.FromHuggingFaceFolder(TinyHuggingFaceFolder.Create(temp));

    public void Dispose() => temp.Dispose();

    private int Id(string token) => tokenizer.TryGetTokenId(token, out int id) ? id : throw new ArgumentException(token);

    [Fact]
    public void EachWordsTagSitsOnItsFirstSubTokenAndEverythingElseIsIgnored()
    {
        // 1 sub-token; 5 (word pieces); 2 (word + punctuation); 1 (a symbol); 5 (letters split by punctuation); 2 (word pieces)
        var words = new[] { "john", "unbelievablesing", "london.", "$", "u.s.a", "stocks" };
        var tags = new[] { 1, 0, 2, 0, 2, 3 };
        var encoded = tokenizer.EncodeWords(words);
        Assert.Equal(new[] { 1, 5, 2, 1, 5, 2 }, encoded.WordTokenCount);

        var window = Assert.Single(SentenceWindows.Split(encoded, tags, 7, 64, 16, tokenizer.ClsId, tokenizer.SepId, out int clipped));
        Assert.Equal(0, clipped);
        var expectedTokens = new[]
        {
            "[CLS]", "john", "un", "##believ", "##able", "##s", "##ing", "london", ".", "$", "u", ".", "s", ".", "a", "stock", "##s", "[SEP]",
        };
        Assert.Equal(expectedTokens.Select(Id), window.Ids);
        Assert.Equal(new[] { Ignored, 1, 0, Ignored, Ignored, Ignored, Ignored, 2, Ignored, 0, 2, Ignored, Ignored, Ignored, Ignored, 3, Ignored, Ignored }, window.Labels);
        Assert.Equal(new[] { 1, 2, 7, 9, 10, 15 }, window.WordPositions);
        Assert.All(window.Owns, Assert.True);
        Assert.Equal((7, 6, 0), (window.Sentence, window.SentenceWordCount, window.FirstWord));
    }

    [Fact]
    public void AnEmptySentenceHasNoWindowAndUnlabelledWindowsHaveNoLabels()
    {
        Assert.Empty(SentenceWindows.Split(tokenizer.EncodeWords(Array.Empty<string>()), Array.Empty<int>(), 0, 10, 2, 2, 3, out _));
        var window = Assert.Single(SentenceWindows.Split(tokenizer.EncodeWords(new[] { "john" }), null, 0, 10, 2, 2, 3, out _));
        Assert.Null(window.Labels);
    }

    [Theory]
    [InlineData(1000, 66, 32)]
    [InlineData(1000, 66, 0)]
    [InlineData(1000, 66, 63)]
    [InlineData(37, 12, 4)]
    [InlineData(5, 3, 0)]
    public void LongSentencesAreCutIntoOverlappingWindowsThatCoverAndOwnEveryWordOnce(int wordCount, int maxLength, int overlap)
    {
        // a mix of 1-, 2- and 5-sub-token words
        var pool = new[] { "the", "stocks", "market", "unbelievablesing", "london.", "john" };
        var words = Enumerable.Range(0, wordCount).Select(i => pool[(i * 7 + i / 3) % pool.Length]).ToArray();
        if (maxLength < 7) words = words.Select(w => "the").ToArray();
        var tags = Enumerable.Range(0, wordCount).Select(i => i % 4).ToArray();
        var encoded = tokenizer.EncodeWords(words);
        var windows = SentenceWindows.Split(encoded, tags, 0, maxLength, overlap, tokenizer.ClsId, tokenizer.SepId, out int clipped);
        Assert.Equal(0, clipped);
        Assert.True(windows.Count > 1);

        var owners = new int[wordCount];
        for (int k = 0; k < windows.Count; k++)
        {
            var w = windows[k];
            Assert.InRange(w.Ids.Length, 3, maxLength);
            Assert.Equal(tokenizer.ClsId, w.Ids[0]);
            Assert.Equal(tokenizer.SepId, w.Ids[^1]);
            // whole words, in order; the label of each word on its first sub-token, the rest ignored
            var expected = new List<int>();
            var labels = new List<int>();
            for (int j = 0; j < w.WordCount; j++)
            {
                int word = w.FirstWord + j;
                Assert.Equal(expected.Count + 1, w.WordPositions[j]);
                for (int t = 0; t < encoded.WordTokenCount[word]; t++)
                {
                    expected.Add(encoded.TokenIds[encoded.WordFirstToken[word] + t]);
                    labels.Add(t == 0 ? tags[word] : Ignored);
                }
                if (w.Owns[j]) owners[word]++;
            }
            Assert.Equal(expected, w.Ids[1..^1]);
            Assert.Equal(labels, w.Labels![1..^1]);
            if (k > 0)
            {
                var previous = windows[k - 1];
                int previousEnd = previous.FirstWord + previous.WordCount;
                Assert.True(w.FirstWord > previous.FirstWord && w.FirstWord <= previousEnd, $"window {k} starts at word {w.FirstWord}, the previous covers {previous.FirstWord}..{previousEnd - 1}");
                Assert.True(w.FirstWord + w.WordCount > previousEnd, $"window {k} reaches no new word");
                int shared = Enumerable.Range(w.FirstWord, previousEnd - w.FirstWord).Sum(i => encoded.WordTokenCount[i]);
                Assert.True(shared <= overlap, $"windows {k - 1} and {k} share {shared} sub-tokens, more than {overlap}");
                // the start could not have been earlier: one more shared word would exceed the overlap or the window
                if (w.FirstWord - 1 > previous.FirstWord)
                {
                    int more = shared + encoded.WordTokenCount[w.FirstWord - 1];
                    int widerWindow = Enumerable.Range(w.FirstWord - 1, previousEnd - w.FirstWord + 2).Sum(i => encoded.WordTokenCount[i]);
                    Assert.True(more > overlap || widerWindow > maxLength - 2);
                }
            }
        }
        Assert.All(owners, o => Assert.Equal(1, o));
        Assert.Equal(0, windows[0].FirstWord);
        Assert.Equal(wordCount, windows[^1].FirstWord + windows[^1].WordCount);
    }

    [Fact]
    public void EachWordIsOwnedByTheWindowWhereItIsMostCentral()
    {
        var words = Enumerable.Repeat("the", 30).ToArray();
        var windows = SentenceWindows.Split(tokenizer.EncodeWords(words), null, 0, 12, 5, tokenizer.ClsId, tokenizer.SepId, out _);
        for (int word = 0; word < words.Length; word++)
        {
            var containing = windows.Select((w, k) => (w, k)).Where(x => word >= x.w.FirstWord && word < x.w.FirstWord + x.w.WordCount).ToList();
            int Centrality((NerWindow w, int k) x) => Math.Min(word - x.w.FirstWord, x.w.FirstWord + x.w.WordCount - 1 - word);
            int best = containing.Max(Centrality);
            var owner = containing.Single(x => x.w.Owns[word - x.w.FirstWord]);
            Assert.Equal(best, Centrality(owner));
            Assert.Equal(containing.First(x => Centrality(x) == best).k, owner.k);   // ties go to the earlier window
        }
    }

    [Fact]
    public void AWordLongerThanAWindowKeepsItsFirstSubTokens()
    {
        var words = new[] { "john", string.Join("", Enumerable.Repeat("$", 20)), "london" };
        var windows = SentenceWindows.Split(tokenizer.EncodeWords(words), new[] { 1, 0, 2 }, 0, 10, 2, tokenizer.ClsId, tokenizer.SepId, out int clipped);
        Assert.Equal(1, clipped);
        Assert.All(windows, w => Assert.InRange(w.Ids.Length, 3, 10));
        var middle = windows.Single(w => w.FirstWord <= 1 && w.FirstWord + w.WordCount > 1 && w.Owns[1 - w.FirstWord]);
        Assert.Equal(0, middle.Labels![middle.WordPositions[1 - middle.FirstWord]]);
        Assert.Equal(3, windows.Sum(w => w.Owns.Count(o => o)));
    }

    [Fact]
    public void TheOverlapMustLeaveRoomInTheWindow()
    {
        Assert.Equal(31, SentenceWindows.Overlap(null, 64));
        Assert.Equal(10, SentenceWindows.Overlap(10, 64));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => SentenceWindows.Overlap(62, 64));
        Assert.Contains("WindowOverlap 62", e.Message);
        Assert.Contains("62 sub-tokens", e.Message);
    }
}
