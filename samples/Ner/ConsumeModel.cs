using Microsoft.ML;
using Microsoft.ML.Lora;

namespace Ner;

/// <summary>
/// The consumption side: loads <c>model.zip</c> with a plain <c>mlContext.Model.Load</c> in a fresh <see cref="MLContext"/>
/// and turns sentences into entities (type, text, word span, confidence).
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

    /// <summary>The entities of one sentence (words split on whitespace).</summary>
    public IReadOnlyList<EntitySpan> Entities(string sentence)
    {
        var words = sentence.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        var output = engine.Predict(new ModelInput { Tokens = words });
        return EntitySpan.FromTags(words, output.PredictedTags, output.Confidence);
    }
}
