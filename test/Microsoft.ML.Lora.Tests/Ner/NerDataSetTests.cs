using Microsoft.ML.Lora.Ner;
using Xunit;

namespace Microsoft.ML.Lora.Tests.Ner;

/// <summary>Reads the real NER data sets and checks them against the counts their sources publish.</summary>
public class NerDataSetTests
{
    // Sentence counts from the data README; token and entity counts from an independent count of the files
    // (WNUT-17's 1,975 / 836 / 1,079 entities are also the published numbers).
    [Theory]
    [InlineData("sec_filings_fin/FIN5.txt", TagScheme.Io, 1164, 41010, "LOC 171, MISC 7, ORG 243, PER 747")]
    [InlineData("sec_filings_fin/FIN3.txt", TagScheme.Io, 303, 13246, "LOC 39, MISC 7, ORG 56, PER 216")]
    [InlineData("wnut17/wnut17train.conll", TagScheme.Iob2, 3394, 62730,
        "corporation 221, creative-work 140, group 264, location 548, person 660, product 142")]
    [InlineData("wnut17/emerging.dev.conll", TagScheme.Iob2, 1009, 15733,
        "corporation 34, creative-work 105, group 39, location 74, person 470, product 114")]
    [InlineData("wnut17/emerging.test.annotated", TagScheme.Iob2, 1287, 23394,
        "corporation 66, creative-work 142, group 165, location 150, person 429, product 127")]
    public void ReadsTheRealDataSets(string file, TagScheme scheme, int sentences, int tokens, string entitiesByType)
    {
        IReadOnlyList<ConllSentence> data = ConllReader.Read(TestData.PathOf(file.Split('/')), scheme);

        Assert.Equal(sentences, data.Count);
        Assert.Equal(tokens, data.Sum(s => s.Words.Count));
        Assert.All(data, s => Assert.Equal(s.Words.Count, s.Tags.Count));
        Assert.All(data, s => Assert.Equal(s.Tags, TagSchemeConverter.RepairIob2(s.Tags))); // the reader's output is valid IOB2

        // Counting entities with the evaluator on gold = predicted gives the support per type.
        NerMetrics self = NerEvaluator.Evaluate(data.Select(s => s.Tags).ToArray(), data.Select(s => s.Tags).ToArray());
        string counts = string.Join(", ", self.PerType.Select(kv => $"{kv.Key} {kv.Value.Support}"));
        Assert.Equal(entitiesByType, counts);
    }
}
