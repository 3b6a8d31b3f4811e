using Xunit;

namespace Microsoft.ML.Lora.Tests.Readme;

/// <summary>The README's entity-recognition program, run as written on a few sentences of the SEC filings set with the real MiniLM.</summary>
public class ReadmeNerTests : IDisposable
{
    private readonly TempFolder temp = new("lora-readme-ner-");

    public void Dispose() => temp.Dispose();

    [Fact]
    public void ProgramTrainsEvaluatesSavesAndTurnsTheZipsTagsIntoEntities()
    {
        ReadmeWorld.WriteConll(TestData.PathOf("sec_filings_fin", "FIN5.txt"), temp["train.conll"], 16);
        var test = ReadmeWorld.WriteConll(TestData.PathOf("sec_filings_fin", "FIN3.txt"), temp["test.conll"], 8);
        var run = SnippetProgram.Run([ReadmeSnippet.In("Entity recognition")], temp.Path, """
            Microsoft.ML.Lora.Tests.Readme.SnippetProgram.Keep("metrics", m);
            Microsoft.ML.Lora.Tests.Readme.SnippetProgram.Keep("spans", spans);
            Microsoft.ML.Lora.Tests.Readme.SnippetProgram.Keep("tags", tagged.Tags);
            Microsoft.ML.Lora.Tests.Readme.SnippetProgram.Keep("confidence", tagged.Confidence);
            """);

        var metrics = run.Get<NerMetrics>("metrics");
        Assert.Equal(test.Count, metrics.SentenceCount);
        int goldEntities = ConllReader.Read(temp["test.conll"], TagScheme.Io).Sum(s => s.Tags.Count(t => t.StartsWith("B-", StringComparison.Ordinal)));
        Assert.Equal(goldEntities, metrics.GoldEntityCount);   // the IO tags were read as IO (LabelScheme), not as IOB2
        Assert.True(goldEntities > 0);
        Assert.Matches(@"^entity F1 \d", run.Output);
        Assert.NotNull(run.Get<IReadOnlyList<EntitySpan>>("spans"));
        var tags = run.Get<string[]>("tags");
        Assert.Equal(5, tags.Length);   // one per word of the snippet's sentence
        Assert.All(tags, t => Assert.Matches("^(O|[BI]-(PER|ORG|LOC|MISC))$", t));
        Assert.All(run.Get<float[]>("confidence"), c => Assert.InRange(c, 0f, 1f));
        Assert.True(File.Exists(temp["ner.zip"]));
    }
}
