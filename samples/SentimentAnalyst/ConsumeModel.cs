using Microsoft.ML;
using Microsoft.ML.Data;

namespace SentimentAnalyst;

/// <summary>
/// The consumption side: everything an application needs to use the trained model. It loads <c>model.zip</c> with a plain
/// <c>mlContext.Model.Load</c> in a fresh <see cref="MLContext"/> (no training code, no base model download) and predicts.
/// </summary>
public sealed class ConsumeModel
{
    private readonly PredictionEngine<ModelInput, ModelOutput> engine;

    /// <summary>Loads the model saved by <see cref="ModelBuilder"/>.</summary>
    public ConsumeModel(string modelPath)
    {
        var mlContext = new MLContext();
        var model = mlContext.Model.Load(modelPath, out _);
        // One engine per thread: PredictionEngine is not thread-safe (the model itself may be shared).
        engine = mlContext.Model.CreatePredictionEngine<ModelInput, ModelOutput>(model);
        var slotNames = default(VBuffer<ReadOnlyMemory<char>>);
        engine.OutputSchema[nameof(ModelOutput.Score)].GetSlotNames(ref slotNames);
        ClassNames = slotNames.DenseValues().Select(n => n.ToString()).ToArray();
    }

    /// <summary>The class of each <see cref="ModelOutput.Score"/> slot.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>Classifies one text.</summary>
    public ModelOutput Predict(string text) => engine.Predict(new ModelInput { Text = text });
}
