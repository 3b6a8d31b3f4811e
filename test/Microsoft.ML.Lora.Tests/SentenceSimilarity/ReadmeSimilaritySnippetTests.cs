using Microsoft.ML.Data;
using Microsoft.ML.Lora.Tests.Readme;
using Xunit;

namespace Microsoft.ML.Lora.Tests.SentenceSimilarity;

/// <summary>
/// The README's "Sentence similarity" snippet, compiled from README.md and run as written on the embedded MiniLM, from a
/// folder whose ../shared/data/stsb holds a small spread of the real STS-B files.
/// </summary>
public class ReadmeSimilaritySnippetTests : IDisposable
{
    private readonly TempFolder temp = new();
    private readonly string checkout;

    public ReadmeSimilaritySnippetTests()
    {
        // The snippet reads ../shared/data/stsb relative to the current folder, as from a checkout's root.
        var stsb = Directory.CreateDirectory(Path.Combine(temp.Path, "shared", "data", "stsb")).FullName;
        foreach (var (file, count) in new[] { ("sts-train.csv", 64), ("sts-dev.csv", 32) })
        {
            var lines = File.ReadAllLines(TestData.PathOf("stsb", file));
            File.WriteAllLines(Path.Combine(stsb, file), Enumerable.Range(0, count).Select(i => lines[i * lines.Length / count]));
        }
        checkout = Directory.CreateDirectory(Path.Combine(temp.Path, "checkout")).FullName;
    }

    public void Dispose() => temp.Dispose();

    [Fact]
    public void SnippetRunsOnStsbPairs()
    {
        var run = SnippetProgram.Run([Readme.ReadmeSnippet.In("Sentence similarity")], checkout, """
            Microsoft.ML.Lora.Tests.Readme.SnippetProgram.Keep("similarity", similarity);
            Microsoft.ML.Lora.Tests.Readme.SnippetProgram.Keep("regression", regression);
            Microsoft.ML.Lora.Tests.Readme.SnippetProgram.Keep("score", score);
            Microsoft.ML.Lora.Tests.Readme.SnippetProgram.Keep("model", model);
            Microsoft.ML.Lora.Tests.Readme.SnippetProgram.Keep("scores", scored.GetColumn<float>("Score").ToArray());
            """);

        var similarity = run.Get<SimilarityMetrics>("similarity");
        Assert.Equal(32, similarity.RowCount);
        Assert.True(double.IsFinite(similarity.SpearmanCorrelation) && double.IsFinite(run.Get<RegressionMetrics>("regression").MeanSquaredError));
        Assert.InRange(run.Get<float>("score"), -1f, 6f);
        var model = run.Get<LoraSentenceSimilarityTransformer>("model");
        Assert.Equal(0f, model.LabelMinimum);
        Assert.Equal(5f, model.LabelMaximum);

        // The zip the snippet saved scores the dev pairs as the trained model did (merged weights: within float rounding).
        var ml = new MLContext(seed: 1);
        var loader = ml.Data.CreateTextLoader(new[]
        {
            new TextLoader.Column("Label", DataKind.Single, 4),
            new TextLoader.Column("Sentence1", DataKind.String, 5),
            new TextLoader.Column("Sentence2", DataKind.String, 6),
        }, separatorChar: '\t', allowQuoting: false);
        var loaded = ml.Model.Load(Path.Combine(checkout, "similarity.zip"), out _);
        var reloaded = loaded.Transform(loader.Load(Path.Combine(temp.Path, "shared", "data", "stsb", "sts-dev.csv"))).GetColumn<float>("Score").ToArray();
        Assert.All(run.Get<float[]>("scores").Zip(reloaded), p => Assert.InRange(Math.Abs(p.First - p.Second), 0, 1e-4));
    }
}
