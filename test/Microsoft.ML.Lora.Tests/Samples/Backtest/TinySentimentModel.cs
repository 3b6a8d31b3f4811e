using Microsoft.ML.Data;
using Microsoft.ML.Lora.Checkpoints;
using Microsoft.ML.Lora.Lora;
using Microsoft.ML.Lora.Methods;
using Microsoft.ML.Lora.TextClassification;
using Microsoft.ML.Transforms;
using SentimentAnalyst;

namespace Microsoft.ML.Lora.Tests.Samples.Backtest;

/// <summary>
/// A model.zip shaped like the sample's (reads <c>Text</c>, writes <c>Score</c> with class-name slots and a string
/// <c>PredictedLabel</c>) on a tiny random encoder, trained for one epoch on a dozen rows: seconds, not minutes.
/// </summary>
internal static class TinySentimentModel
{
    private sealed class Row
    {
        public string Text { get; set; } = "";
        public string Label { get; set; } = "";
    }

    /// <summary>Trains and saves the model with classes <paramref name="labels"/> (for good, bad and flat words), returns the zip's path.</summary>
    public static string Save(TempFolder temp, string zipName, params string[] labels)
    {
        string[][] words = [["good", "great", "up"], ["bad", "awful", "down"], ["flat", "okay", "neutral"]];
        var rows = labels.SelectMany((label, i) => words[i % words.Length].Select(w => new Row { Text = $"the stock is {w} today", Label = label })).ToArray();
        var ml = new MLContext(seed: 1);
        var keyed = ml.Transforms.Conversion.MapValueToKey("Label", keyOrdinality: ValueToKeyMappingEstimator.KeyOrdinality.ByValue)
            .Fit(ml.Data.LoadFromEnumerable(rows)).Transform(ml.Data.LoadFromEnumerable(rows));
        var classifier = ml.Transforms.LoraFineTune(new LoraTextClassificationOptions
        {
            BaseModel = PretrainedModel.FromHuggingFaceFolder(TinyHuggingFaceFolder.Create(temp)),
            Method = FineTuningMethod.Lora(new LoraOptions { Rank = 2, Alpha = 4 }),
            Sentence1ColumnName = "Text", LabelColumnName = "Label", Epochs = 1, BatchSize = 8, Seed = 1,
        }).Fit(keyed);
        // As the sample saves it: the classifier and the key-to-name map, reading Text alone.
        var keyToName = ml.Transforms.Conversion.MapKeyToValue("PredictedLabel").Fit(classifier.Transform(keyed));
        var model = new TransformerChain<ITransformer>(classifier, keyToName);
        string path = temp[zipName];
        ml.Model.Save(model, ml.Data.LoadFromEnumerable(Array.Empty<ModelInput>()).Schema, path);
        return path;
    }
}
