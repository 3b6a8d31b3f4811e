using Microsoft.ML.Data;
using Microsoft.ML.Lora.Bench;
using Xunit;

namespace Microsoft.ML.Lora.Tests.SentenceSimilarity;

/// <summary>
/// The README's "Sentence similarity" snippet, run as written (the region between the markers is compared with the README)
/// on the embedded MiniLM, from a folder whose ../shared/data/stsb holds a small spread of the real STS-B files.
/// </summary>
public class ReadmeSimilaritySnippetTests : IDisposable
{
    private const string Begin = "// README sentence similarity: begin", End = "// README sentence similarity: end";
    private readonly TempFolder temp = new();
    private readonly string previousDirectory = Environment.CurrentDirectory;

    public ReadmeSimilaritySnippetTests()
    {
        // The snippet reads ../shared/data/stsb relative to the current folder, as from a checkout's root.
        var stsb = Directory.CreateDirectory(Path.Combine(temp.Path, "shared", "data", "stsb")).FullName;
        foreach (var (file, count) in new[] { ("sts-train.csv", 64), ("sts-dev.csv", 32) })
        {
            var lines = File.ReadAllLines(TestData.PathOf("stsb", file));
            File.WriteAllLines(Path.Combine(stsb, file), Enumerable.Range(0, count).Select(i => lines[i * lines.Length / count]));
        }
        Environment.CurrentDirectory = Directory.CreateDirectory(Path.Combine(temp.Path, "checkout")).FullName;
    }

    public void Dispose()
    {
        Environment.CurrentDirectory = previousDirectory;
        temp.Dispose();
    }

    [Fact]
    public void SnippetRunsOnStsbPairs()
    {
        // README sentence similarity: begin
        var ml = new MLContext(seed: 1);
        // STS-B: tab-separated, no header, no quoting (sentences hold literal "); the score is field 4, the pair fields 5 and 6
        var loader = ml.Data.CreateTextLoader(new[]
        {
            new TextLoader.Column("Label", DataKind.Single, 4),
            new TextLoader.Column("Sentence1", DataKind.String, 5),
            new TextLoader.Column("Sentence2", DataKind.String, 6),
        }, separatorChar: '\t', allowQuoting: false);
        var model = ml.Transforms.LoraFineTune(new LoraSentenceSimilarityOptions
        {
            Sentence1ColumnName = "Sentence1", Sentence2ColumnName = "Sentence2", LabelColumnName = "Label",   // the defaults
        }).Fit(loader.Load("../shared/data/stsb/sts-train.csv"));
        var scored = model.Transform(loader.Load("../shared/data/stsb/sts-dev.csv"));   // adds Score: Single, on the labels' scale (0-5)
        SimilarityMetrics similarity = ml.Regression.EvaluateSimilarity(scored);      // Pearson, Spearman
        RegressionMetrics regression = ml.Regression.Evaluate(scored);                // MSE, MAE, R²
        float score = model.Predict("A man is playing a flute.", "A man plays the flute.");
        ml.Model.Save(model, scored.Schema, "similarity.zip");
        // README sentence similarity: end

        Assert.Equal(32, similarity.RowCount);
        Assert.True(double.IsFinite(similarity.SpearmanCorrelation) && double.IsFinite(regression.MeanSquaredError));
        Assert.InRange(score, -1f, 6f);
        Assert.Equal(0f, model.LabelMinimum);
        Assert.Equal(5f, model.LabelMaximum);
        var loaded = ml.Model.Load("similarity.zip", out _);
        // The zip holds the merged weights: the same scores up to float rounding of W0 + scale·B·A.
        var reloaded = loaded.Transform(loader.Load("../shared/data/stsb/sts-dev.csv")).GetColumn<float>("Score").ToArray();
        Assert.All(scored.GetColumn<float>("Score").Zip(reloaded), p => Assert.InRange(Math.Abs(p.First - p.Second), 0, 1e-4));
    }

    [Fact]
    public void ReadmeShowsTheSnippetThisTestRuns()
    {
        var (inTest, inReadme) = ReadmeSnippet.Read(Path.Combine("SentenceSimilarity", "ReadmeSimilaritySnippetTests.cs"), Begin, End, "## Sentence similarity");
        Assert.Equal(inTest, inReadme);
    }
}
