using Xunit;

namespace Microsoft.ML.Lora.Tests.SentenceEmbedding;

/// <summary>The README's "Sentence embeddings" snippet, run as written on the embedded MiniLM (the region between the markers is compared with the README).</summary>
public class ReadmeEmbeddingSnippetTests : IDisposable
{
    private const string Begin = "// README sentence embeddings: begin", End = "// README sentence embeddings: end";
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
        var pairsMl = new MLContext(seed: 1);
        var pairs = pairsMl.Data.LoadFromEnumerable(new[]
        {
            new PairRow { Sentence1 = "A plane is taking off.", Sentence2 = "An air plane is taking off.", Score = 5 },
            new PairRow { Sentence1 = "A man is playing a flute.", Sentence2 = "A man is playing a bamboo flute.", Score = 3.8f },
            new PairRow { Sentence1 = "A woman is slicing an onion.", Sentence2 = "A man is playing a guitar.", Score = 0 },
            new PairRow { Sentence1 = "Three dogs run in the snow.", Sentence2 = "Dogs are running through snow.", Score = 4.2f },
        });
        string adapterFolder = temp["adapter"];

        // README sentence embeddings: begin
        var ml = new MLContext(seed: 1);
        // pairs: an IDataView with Sentence1, Sentence2 (String) and Score (Single: 0 = unrelated … 5 = same meaning, as STS-B)
        var embedder = ml.Transforms.LoraFineTune(new LoraSentenceEmbeddingOptions
        {
            MinScore = 0, MaxScore = 5, Epochs = 1,   // CosineSimilarity loss by default; MultipleNegativesRanking needs no Score
        }).Fit(pairs);
        var engine = ml.Model.CreatePredictionEngine<Sentence, Embedded>(embedder);   // one engine per thread
        float[] u = engine.Predict(new Sentence { Sentence1 = "A man is playing a guitar." }).Embedding;   // 384 floats, unit length
        float[] v = engine.Predict(new Sentence { Sentence1 = "Someone plays the guitar." }).Embedding;
        float cosine = u.Zip(v, (a, b) => a * b).Sum();   // the dot product of unit vectors
        embedder.SaveAdapter(adapterFolder);   // PEFT FEATURE_EXTRACTION adapter: keys of the bare encoder, as sentence-transformers saves
        var again = ml.Transforms.LoraFineTune(new LoraSentenceEmbeddingOptions()).FromPeftAdapter(adapterFolder);   // on the options' base
        var untuned = LoraSentenceEmbeddingTransformer.FromPretrained(ml);   // all-MiniLM-L6-v2's embeddings as published
        // README sentence embeddings: end

        Assert.Equal(384, u.Length);
        Assert.Equal(1.0, Math.Sqrt(u.Sum(x => (double)x * x)), 5);
        float unrelated = engine.Predict(new Sentence { Sentence1 = "The stock market fell sharply today." }).Embedding.Zip(u, (a, b) => a * b).Sum();
        Assert.True(cosine > 0.5 && cosine > unrelated + 0.3, $"cos(guitar, guitar) {cosine:F3}, cos(guitar, stocks) {unrelated:F3}");
        var w = ml.Model.CreatePredictionEngine<Sentence, Embedded>(again).Predict(new Sentence { Sentence1 = "A man is playing a guitar." }).Embedding;
        Assert.All(u.Zip(w), p => Assert.InRange(Math.Abs(p.First - p.Second), 0, 1e-6));
        Assert.Equal(384, untuned.EmbeddingSize);
    }

    [Fact]
    public void ReadmeShowsTheSnippetThisTestRuns()
    {
        var (inTest, inReadme) = ReadmeSnippet.Read(Path.Combine("SentenceEmbedding", "ReadmeEmbeddingSnippetTests.cs"), Begin, End, "## Sentence embeddings");
        Assert.Equal(inTest, inReadme);
    }
}
