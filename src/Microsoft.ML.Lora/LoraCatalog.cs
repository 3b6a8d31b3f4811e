using Microsoft.ML.Data;
using Microsoft.ML.Lora;
using Microsoft.ML.Lora.Ner;

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
            LearningRate = learningRate, Method = FineTuningMethod.Lora(lora), ValidationSet = validationSet,
        });

    /// <summary>
    /// Fine-tunes a pretrained encoder (LoRA by default) to tag named entities, one tag per word; see <see cref="LoraNerOptions"/>.
    /// </summary>
    public static LoraNerEstimator LoraFineTune(this TransformsCatalog catalog, LoraNerOptions options)
        => new(CatalogUtils.GetEnvironment(catalog), options);

    /// <summary>
    /// LoRA named-entity recognition (token classification): one tag per word. Outputs <paramref name="predictedLabelColumnName"/>
    /// (a key vector whose key values are the IOB2 tags) and a per-word <c>Confidence</c>.
    /// </summary>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="labelColumnName">Tags, one per word: a vector of String, or a vector of key (MapValueToKey on such a vector).</param>
    /// <param name="sentenceColumnName">A String column (split into words on whitespace) or a vector of String (the words).</param>
    /// <param name="predictedLabelColumnName">Output predicted tags column.</param>
    /// <param name="labelScheme">The scheme of the labels (IOB2, IOB1, IO or BIOES); they are converted to IOB2.</param>
    /// <param name="epochs">Passes over the data.</param>
    /// <param name="batchSize">Sentences (windows) per step.</param>
    /// <param name="learningRate">Peak learning rate; null = LoRA's default (5e-4).</param>
    /// <param name="lora">LoRA settings; null = PEFT's defaults (r = 8 on query and value).</param>
    /// <param name="validationSet">Optional validation data (per-epoch entity F1, best epoch kept).</param>
    public static LoraNerEstimator LoraNer(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string labelColumnName = DefaultColumnNames.Label, string sentenceColumnName = "Sentence",
        string predictedLabelColumnName = DefaultColumnNames.PredictedLabel, TagScheme labelScheme = TagScheme.Iob2,
        int epochs = 3, int batchSize = 32, double? learningRate = null, LoraOptions? lora = null, IDataView? validationSet = null)
        => new(CatalogUtils.GetEnvironment(catalog), new LoraNerOptions
        {
            LabelColumnName = labelColumnName, SentenceColumnName = sentenceColumnName, PredictedLabelColumnName = predictedLabelColumnName,
            LabelScheme = labelScheme, Epochs = epochs, BatchSize = batchSize, LearningRate = learningRate,
            Method = FineTuningMethod.Lora(lora), ValidationSet = validationSet,
        });

    /// <summary>
    /// Entity-level precision, recall and F1 (micro and per type, as conlleval and seqeval define them) and token accuracy of
    /// tagged data, e.g. the output of a <see cref="LoraNerTransformer"/>. Gold tags are converted from
    /// <paramref name="labelScheme"/> to IOB2; predictions are repaired into valid IOB2 first.
    /// </summary>
    /// <param name="catalog">The multiclass classification catalog.</param>
    /// <param name="data">Rows with a gold and a predicted tag vector of the same length.</param>
    /// <param name="labelColumnName">Gold tags: a vector of String, or a vector of key with String key values.</param>
    /// <param name="predictedLabelColumnName">Predicted tags, of either of the same types.</param>
    /// <param name="labelScheme">The scheme of the gold tags.</param>
    /// <exception cref="ArgumentOutOfRangeException">A column is missing or of the wrong type (the message names it).</exception>
    /// <exception cref="InvalidDataException">A row's tag counts differ or a tag is invalid (the message names the row).</exception>
    public static NerMetrics EvaluateNer(this MulticlassClassificationCatalog catalog, IDataView data,
        string labelColumnName = DefaultColumnNames.Label, string predictedLabelColumnName = DefaultColumnNames.PredictedLabel,
        TagScheme labelScheme = TagScheme.Iob2)
        => NerDataViewEvaluator.Evaluate(data, labelColumnName, predictedLabelColumnName, labelScheme);
}
