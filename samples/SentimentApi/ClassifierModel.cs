using Microsoft.ML;
using Microsoft.ML.Data;

namespace SentimentApi;

/// <summary>A text classifier's model.zip, loaded once and shared by every request; its class names come from Score's slot names.</summary>
public sealed class ClassifierModel
{
    private ClassifierModel(MLContext ml, ITransformer model, IReadOnlyList<string> classNames, string path)
        => (MLContext, Transformer, ClassNames, Path) = (ml, model, classNames, path);

    /// <summary>The context the model was loaded in.</summary>
    public MLContext MLContext { get; }
    /// <summary>The loaded model (thread-safe to share; PredictionEngines over it are not).</summary>
    public ITransformer Transformer { get; }
    /// <summary>The class of each Score slot.</summary>
    public IReadOnlyList<string> ClassNames { get; }
    /// <summary>The zip it came from.</summary>
    public string Path { get; }

    /// <summary>Loads <paramref name="path"/> and checks that it reads a Text column and writes a Score vector with class names.</summary>
    /// <exception cref="InvalidDataException">The zip is not such a classifier (the message says what it reads or writes).</exception>
    public static ClassifierModel Load(string path)
    {
        var ml = new MLContext();
        var model = ml.Model.Load(path, out var inputSchema);
        if (inputSchema is null || inputSchema.GetColumnOrNull(nameof(ModelInput.Text)) is not { Type: TextDataViewType })
            throw new InvalidDataException($"{path}: the model does not read a text column 'Text' (it reads: {(inputSchema is null ? "no saved schema" : string.Join(", ", inputSchema.Select(c => $"{c.Name} ({c.Type})")))}); save it with the schema of a class with a string Text property, as samples/SentimentAnalyst does.");
        var score = model.GetOutputSchema(inputSchema).GetColumnOrNull(nameof(ModelOutput.Score));
        if (score is not { Type: VectorDataViewType { ItemType: NumberDataViewType, Size: > 0 } } column || !column.HasSlotNames())
            throw new InvalidDataException($"{path}: the model writes no Score vector with class names; expected a text classifier (LoraTextClassification).");
        var names = default(VBuffer<ReadOnlyMemory<char>>);
        column.GetSlotNames(ref names);
        return new ClassifierModel(ml, model, names.DenseValues().Select(n => n.ToString()).ToArray(), path);
    }

    /// <summary>The API's answer for one text's probabilities: the most probable class and every class's probability.</summary>
    public TextPrediction Describe(float[] score)
    {
        int best = 0;
        for (int i = 1; i < score.Length; i++) if (score[i] > score[best]) best = i;
        return new TextPrediction(ClassNames[best], ClassNames.Select((name, i) => (name, score[i])).ToDictionary(p => p.name, p => p.Item2));
    }
}
