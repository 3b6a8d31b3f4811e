using Microsoft.ML.Lora.Models;
using Microsoft.ML.Lora.Training;
using Xunit;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Tests.Reliability.Options;

/// <summary>
/// A single optimizer step with a huge learning rate: the only loss the loop sees is the one before the update, so the
/// divergence must be found after training (parameters and the loss with the final weights), never returned as a model.
/// </summary>
public class DivergenceTests
{
    [Theory]
    [InlineData(double.PositiveInfinity, "NaN or infinite")]
    [InlineData(1e30, "diverged")]
    [InlineData(1e15, "diverged")]
    public void AStepThatBreaksTheWeightsIsCaughtAfterItsOnlyStep(double learningRate, string expected)
    {
        // The options refuse rates above 1 (and +∞, the case); the loop's own check is the second line of defence
        // for any path to non-finite weights or outputs.
        using SequenceClassificationModel model = TinyModels.Classifier();
        var train = RawIdsExample.Several(8);
        var ex = Assert.Throws<InvalidOperationException>(() => TrainingLoop.Run(model, new RawIdsTask(), train, null,
            new TrainingSettings { Epochs = 1, BatchSize = 8, LearningRate = learningRate, MaxGradNorm = 0, WarmupFraction = 0, WeightDecay = 0, Seed = 1 }, CPU));
        Assert.Contains("diverged", ex.Message);
        Assert.Contains(expected, ex.Message);
        Assert.Contains("after 1 step", ex.Message);
    }

    [Fact]
    public void AnOrdinaryRunPassesTheCheck()
    {
        using SequenceClassificationModel model = TinyModels.Classifier();
        var train = RawIdsExample.Several(8);
        var history = TrainingLoop.Run(model, new RawIdsTask(), train, null,
            new TrainingSettings { Epochs = 2, BatchSize = 4, LearningRate = 1e-2, Seed = 1 }, CPU);
        Assert.Equal(4, history.StepLosses.Count);
    }
}
