using Microsoft.ML.Lora.Tests.Readme;
using Xunit;

namespace Microsoft.ML.Lora.Tests.SentenceEmbedding;

/// <summary>The README's "Sentence embeddings" program, read from README.md and run as written on the embedded MiniLM and four STS-style pairs.</summary>
public class ReadmeEmbeddingSnippetTests : IDisposable
{
    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    public sealed class Sentence
    {
        public string Sentence1 { get; set; } = "";
    }

    public sealed class Embedded
    {
        public float[] Embedding { get; set; } = Array.Empty<float>();
    }

    [Fact]
    public void SnippetRunsAndItsNumbersAreWhatItSays()
    {
        File.WriteAllLines(temp["pairs.tsv"],
        [
            "Sentence1\tSentence2\tScore",
            "A plane is taking off.\tAn air plane is taking off.\t5",
            "A man is playing a flute.\tA man is playing a bamboo flute.\t3.8",
            "A woman is slicing an onion.\tA man is playing a guitar.\t0",
            "Three dogs run in the snow.\tDogs are running through snow.\t4.2",
        ]);
        var run = SnippetProgram.Run([Readme.ReadmeSnippet.In("Sentence embeddings")], temp.Path, """
            Microsoft.ML.Lora.Tests.Readme.SnippetProgram.Keep("pairs", pairs.GetRowCount() ?? pairs.GetColumn<float>("Score").Count());
            Microsoft.ML.Lora.Tests.Readme.SnippetProgram.Keep("embedder", embedder);
            Microsoft.ML.Lora.Tests.Readme.SnippetProgram.Keep("u", u);
            Microsoft.ML.Lora.Tests.Readme.SnippetProgram.Keep("cosine", cosine);
            Microsoft.ML.Lora.Tests.Readme.SnippetProgram.Keep("again", again);
            Microsoft.ML.Lora.Tests.Readme.SnippetProgram.Keep("untuned", untuned);
            """);

        var ml = new MLContext();
        float[] u = run.Get<float[]>("u");
        float cosine = run.Get<float>("cosine");
        Assert.Equal(4L, run.Get<long>("pairs"));
        Assert.Equal(384, u.Length);
        Assert.Equal(1.0, Math.Sqrt(u.Sum(x => (double)x * x)), 5);
        var engine = ml.Model.CreatePredictionEngine<Sentence, Embedded>(run.Get<LoraSentenceEmbeddingTransformer>("embedder"));
        float unrelated = engine.Predict(new Sentence { Sentence1 = "The stock market fell sharply today." }).Embedding.Zip(u, (a, b) => a * b).Sum();
        Assert.True(cosine > 0.5 && cosine > unrelated + 0.3, $"cos(guitar, guitar) {cosine:F3}, cos(guitar, stocks) {unrelated:F3}");
        var w = ml.Model.CreatePredictionEngine<Sentence, Embedded>(run.Get<LoraSentenceEmbeddingTransformer>("again")).Predict(new Sentence { Sentence1 = "A man is playing a guitar." }).Embedding;
        Assert.All(u.Zip(w), p => Assert.InRange(Math.Abs(p.First - p.Second), 0, 1e-6));
        Assert.Equal(384, run.Get<LoraSentenceEmbeddingTransformer>("untuned").EmbeddingSize);
        Assert.True(File.Exists(temp["adapter/adapter_config.json"]));
    }
}
