using Microsoft.ML;

namespace QuestionAnswering;

/// <summary>
/// All an application needs to use the trained model: load model.zip with a plain <c>Model.Load</c> in a fresh
/// <see cref="MLContext"/> and ask questions about a passage.
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
    }

    /// <summary>The answer to <paramref name="question"/> in <paramref name="context"/>.</summary>
    public ModelOutput Answer(string context, string question) => engine.Predict(new ModelInput { Context = context, Question = question });
}
