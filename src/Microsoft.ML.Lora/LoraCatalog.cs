using Microsoft.ML.Data;
using Microsoft.ML.Lora;
using Microsoft.ML.Lora.Lora;
using Microsoft.ML.Lora.TextClassification;

namespace Microsoft.ML;

/// <summary>Entry points of Microsoft.ML.Lora on ML.NET's catalogs.</summary>
public static class LoraCatalog
{
    /// <summary>Fine-tunes a pretrained encoder (LoRA by default) to classify text; see <see cref="LoraTextClassificationOptions"/>.</summary>
    public static LoraTextClassificationEstimator LoraFineTune(this TransformsCatalog catalog, LoraTextClassificationOptions options)
        => new(CatalogUtils.GetEnvironment(catalog), options);

    /// <summary>
    /// LoRA text classification as a multiclass trainer: the label column must be a key type (<c>MapValueToKey</c>); outputs
    /// <paramref name="scoreColumnName"/> (class probabilities) and <paramref name="predictedLabelColumnName"/> (key).
    /// </summary>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="labelColumnName">Key-typed label column.</param>
    /// <param name="sentence1ColumnName">Text column.</param>
    /// <param name="sentence2ColumnName">Optional second text column (sentence pairs).</param>
    /// <param name="scoreColumnName">Output probabilities column.</param>
    /// <param name="predictedLabelColumnName">Output predicted label column.</param>
    /// <param name="epochs">Passes over the data.</param>
    /// <param name="batchSize">Examples per step.</param>
    /// <param name="learningRate">Peak learning rate; null = LoRA's default (5e-4).</param>
    /// <param name="lora">LoRA settings; null = PEFT's defaults (r = 8 on query and value).</param>
    /// <param name="validationSet">Optional validation data (per-epoch metric, best epoch kept).</param>
    public static LoraTextClassificationEstimator LoraTextClassification(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string labelColumnName = DefaultColumnNames.Label, string sentence1ColumnName = "Sentence1", string? sentence2ColumnName = null,
        string scoreColumnName = DefaultColumnNames.Score, string predictedLabelColumnName = DefaultColumnNames.PredictedLabel,
        int epochs = 3, int batchSize = 32, double? learningRate = null, LoraOptions? lora = null, IDataView? validationSet = null)
        => new(CatalogUtils.GetEnvironment(catalog), new LoraTextClassificationOptions
        {
            LabelColumnName = labelColumnName, Sentence1ColumnName = sentence1ColumnName, Sentence2ColumnName = sentence2ColumnName,
            ScoreColumnName = scoreColumnName, PredictedLabelColumnName = predictedLabelColumnName, Epochs = epochs, BatchSize = batchSize,
            LearningRate = learningRate, Method = Lora.Methods.FineTuningMethod.Lora(lora), ValidationSet = validationSet,
        });
}
