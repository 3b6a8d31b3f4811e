using Microsoft.ML.Data;
using Microsoft.ML.Lora.Tests.TextClassification;
using Xunit;

namespace Microsoft.ML.Lora.Tests.Reliability.Concurrency;

/// <summary>
/// Fits running at once in one process: each has its own random state (initialisation generator, dropout masks), so a seed
/// gives the model it gives alone, bit for bit, whatever the other Fit does meanwhile.
/// </summary>
public class ConcurrentFitTests(TinyFolderFixture tiny) : IClassFixture<TinyFolderFixture>
{
    private static readonly ToyRow[] Rows = ToyData.Sentiment(repeat: 2);

    // LoRA dropout draws a mask at every step and a fresh head and LoRA A are drawn at every Fit: all of a run's randomness.
    private LoraTextClassificationOptions Options(int seed) => new()
    {
        BaseModel = PretrainedModel.FromHuggingFaceFolder(tiny.BaseFolder),
        Method = FineTuningMethod.Lora(new LoraOptions { Rank = 4, Dropout = 0.3 }),
        Epochs = 2, BatchSize = 4, Seed = seed, MaxSequenceLength = 32, LearningRate = 5e-3,
    };

    private float[][] FitAndScore(int seed)
    {
        var ml = new MLContext(seed: 1);
        var raw = ml.Data.LoadFromEnumerable(Rows);
        var data = ml.Transforms.Conversion.MapValueToKey("Label").Fit(raw).Transform(raw);
        using var model = ml.Transforms.LoraFineTune(Options(seed)).Fit(data);
        return model.Transform(data).GetColumn<float[]>("Score").ToArray();
    }

    [Fact]
    public void TwoFitsAtOnceWithOneSeedEachGiveTheSequentialModel()
    {
        var alone = FitAndScore(seed: 5);
        var otherSeedAlone = FitAndScore(seed: 6);
        Assert.NotEqual(alone, otherSeedAlone);   // the seed matters, so equality below is not a matter of course

        // Four Fits released together: two with seed 5, two with seed 6, interleaving their steps on the shared cores.
        var seeds = new[] { 5, 6, 5, 6 };
        var results = Together.Run(seeds.Length, i => FitAndScore(seeds[i]));

        Assert.Equal(alone, results[0]);
        Assert.Equal(alone, results[2]);
        Assert.Equal(otherSeedAlone, results[1]);
        Assert.Equal(otherSeedAlone, results[3]);
    }
}
