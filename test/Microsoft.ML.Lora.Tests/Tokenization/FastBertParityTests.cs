using System.Diagnostics;
using Microsoft.ML.Lora.Tokenization;
using Xunit;
using Xunit.Abstractions;

namespace Microsoft.ML.Lora.Tests.Tokenization;

/// <summary>
/// Compares <see cref="TextTokenizer"/> with FastBertTokenizer (which is tested against Hugging Face's reference)
/// on every headline of the financial news validation set, with MiniLM's uncased vocabulary.
/// </summary>
public class FastBertParityTests
{
    private readonly ITestOutputHelper _output;

    public FastBertParityTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public void IdsMatchFastBertTokenizerOnEveryFinancialHeadline()
    {
        IReadOnlyList<(string Text, int Label)> rows = TestData.ReadFinancialNewsValidation();
        Assert.Equal(2388, rows.Count);

        TextTokenizer ours = TextTokenizer.FromVocabularyFile(MiniLmVocabulary.Path, lowerCase: true);
        var reference = new FastBertTokenizer.BertTokenizer();
        using (var reader = new StreamReader(MiniLmVocabulary.Path))
        {
            // convertInputToLowercase is how FastBertTokenizer is told the model is uncased.
            reference.LoadVocabulary(reader, convertInputToLowercase: true);
        }

        var mismatches = new List<string>();
        int multiLine = 0;
        foreach ((string text, _) in rows)
        {
            multiLine += text.Contains('\n') ? 1 : 0;
            (Memory<long> inputIds, _, _) = reference.Encode(text, maximumTokens: 512);
            long[] expected = inputIds.ToArray();
            int[] actual = ours.Encode(text, maxLength: 512).InputIds.ToArray();
            if (!expected.SequenceEqual(actual.Select(id => (long)id)))
            {
                mismatches.Add($"{text}\n  FastBert: {string.Join(' ', expected.Select(id => ours.IdToToken((int)id)))}" +
                               $"\n  ours:     {string.Join(' ', actual.Select(ours.IdToToken))}");
            }
        }

        // The CSV parser must have kept the quoted multi-line headlines whole.
        Assert.True(multiLine > 0, "no headline with a line break was read; is the CSV parsed properly?");
        Assert.True(mismatches.Count == 0, $"{mismatches.Count} of {rows.Count} differ:\n{string.Join("\n", mismatches.Take(10))}");
    }

    [Fact]
    public void TokenizingTheValidationSetTakesWellUnderASecond()
    {
        string[] texts = TestData.ReadFinancialNewsValidation().Select(r => r.Text).ToArray();
        TextTokenizer tokenizer = TextTokenizer.FromVocabularyFile(MiniLmVocabulary.Path, lowerCase: true);
        tokenizer.EncodeBatch(texts.Take(32).ToArray(), null, 128); // warm-up (JIT)

        // Best of three, so that a busy shared machine does not decide the result.
        TimeSpan best = TimeSpan.MaxValue;
        int tokens = 0;
        for (int attempt = 0; attempt < 3; attempt++)
        {
            var watch = Stopwatch.StartNew();
            tokens = 0;
            for (int start = 0; start < texts.Length; start += 32)
            {
                EncodedBatch batch = tokenizer.EncodeBatch(texts[start..Math.Min(texts.Length, start + 32)], null, 128);
                tokens += batch.Lengths.Sum();
            }

            best = watch.Elapsed < best ? watch.Elapsed : best;
        }

        _output.WriteLine($"{texts.Length} texts, {tokens} tokens in {best.TotalMilliseconds:F1} ms (best of 3)");
        Assert.True(best < TimeSpan.FromSeconds(1), $"took {best.TotalMilliseconds:F0} ms");
    }
}
