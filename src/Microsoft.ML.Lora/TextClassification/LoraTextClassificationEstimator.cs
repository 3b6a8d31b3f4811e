using Microsoft.ML.Data;
using Microsoft.ML.Lora.Calibration;
using Microsoft.ML.Lora.Models;
using Microsoft.ML.Lora.Pipeline;
using Microsoft.ML.Lora.Persistence;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Lora.TextClassification;

/// <summary>
/// Fine-tunes a pretrained encoder (LoRA by default) to classify a text (or a pair of texts) into the classes of a key
/// label column. Produces <c>Score</c> (class probabilities) and <c>PredictedLabel</c> (the label's key type), which
/// <c>mlContext.MulticlassClassification.Evaluate</c> accepts and <c>MapKeyToValue</c> turns back into label values.
/// </summary>
/// <remarks>
/// Empty or whitespace-only texts are valid input: they are encoded as <c>[CLS] [SEP]</c> and get a prediction (the
/// training log counts them). Texts longer than <see cref="LoraFineTuningOptions.MaxSequenceLength"/> tokens are
/// truncated, and the number of truncated rows is logged.
/// </remarks>
public sealed class LoraTextClassificationEstimator : IEstimator<LoraTextClassificationTransformer>
{
    private readonly IHostEnvironment env;
    private readonly LoraTextClassificationOptions options;

    /// <summary>Creates the estimator; reach it through <c>mlContext.Transforms.LoraFineTune(options)</c> or the multiclass catalog.</summary>
    public LoraTextClassificationEstimator(MLContext mlContext, LoraTextClassificationOptions options)
        : this((IHostEnvironment)(mlContext ?? throw new ArgumentNullException(nameof(mlContext))), options) { }

    internal LoraTextClassificationEstimator(IHostEnvironment env, LoraTextClassificationOptions options)
    {
        this.env = env;
        this.options = options ?? throw new ArgumentNullException(nameof(options));
        options.Validate();
    }

    /// <summary>Trains on <paramref name="input"/> and returns the fine-tuned transformer.</summary>
    public LoraTextClassificationTransformer Fit(IDataView input)
    {
        var host = env.Register("LoraTextClassification");
        using var ch = host.Start("Fit");
        var (labelColumn, labelType) = ColumnChecks.RequireKey(input.Schema, options.LabelColumnName, "Label");
        ColumnChecks.RequireText(input.Schema, options.Sentence1ColumnName, "Sentence1");
        if (options.Sentence2ColumnName is { } s2) ColumnChecks.RequireText(input.Schema, s2, "Sentence2");
        int classes = (int)labelType.Count;

        var session = new FineTuningSession(env, options, ch);
        var reader = new TextClassificationDataReader(session.Tokenizer, session.MaxSequenceLength, options);
        var train = reader.ReadLabelled(input, "training data", ch);
        if (train.Count == 0) throw new InvalidOperationException("The training data has no rows.");
        List<ClassificationExample>? validation = null;
        if (options.ValidationSet is { } val)
        {
            var (_, valType) = ColumnChecks.RequireKey(val.Schema, options.LabelColumnName, "Validation label");
            if (valType.Count != labelType.Count)
                throw new ArgumentOutOfRangeException(options.LabelColumnName, $"Validation label column '{options.LabelColumnName}' has {valType.Count} classes, the training data {labelType.Count}: map both with the same MapValueToKey.");
            validation = reader.ReadLabelled(val, "validation data", ch);
        }

        var model = session.BuildModel((enc, poolerIsHead) => new SequenceClassificationModel(enc, classes, poolerIsHead), needsPooler: true,
            trainPooler: options.TrainPooler ?? (options.BaseModel.IsEmbedded ? true : null));
        var task = new TextClassificationTrainingTask(session.Tokenizer.PadId, session.Config.TypeVocabSize > 1);
        var (fine, history) = session.Train(model, task, train, validation, $"textcls|{classes}|{train.Count}|{train.Sum(e => e.Ids.Sum(x => (long)x))}");

        float temperature = 1;
        if (options.CalibrateScores && validation is { Count: > 0 })
        {
            var logits = TextClassificationScoring.Logits(fine, validation.Select(e => e.Ids).ToList(), validation.Select(e => e.TypeIds).ToList(), options.ScoringBatchSize);
            var fit = TemperatureScaling.FitCrossValidated(logits, validation.Select(e => e.Label).ToList());
            temperature = fit.Temperature;
            ch.Info(fit.Reason);
        }
        var columns = new TextClassificationColumns(options.Sentence1ColumnName, options.Sentence2ColumnName, options.ScoreColumnName,
            options.PredictedLabelColumnName, options.LabelColumnName);
        return new LoraTextClassificationTransformer(env, fine, columns, classes, KeyValueNames.FromColumn(labelColumn), temperature,
            options.ScoringBatchSize, history);
    }

    /// <summary>The schema after the transformer: the input columns plus Score and PredictedLabel.</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        var label = ColumnChecks.RequireShape(inputSchema, options.LabelColumnName, "Label", c => c.IsKey && c.Kind == SchemaShape.Column.VectorKind.Scalar, "a key type");
        bool IsText(SchemaShape.Column c) => c.ItemType is TextDataViewType && c.Kind == SchemaShape.Column.VectorKind.Scalar;
        ColumnChecks.RequireShape(inputSchema, options.Sentence1ColumnName, "Sentence1", IsText, "String");
        if (options.Sentence2ColumnName is { } s2) ColumnChecks.RequireShape(inputSchema, s2, "Sentence2", IsText, "String");
        var result = inputSchema.ToDictionary(c => c.Name);
        var scoreAnnotations = label.Annotations.TryFindColumn(AnnotationUtils.Kinds.KeyValues, out _)
            ? new SchemaShape(new[] { new SchemaShape.Column(AnnotationUtils.Kinds.SlotNames, SchemaShape.Column.VectorKind.Vector, TextDataViewType.Instance, false) })
            : new SchemaShape(Array.Empty<SchemaShape.Column>());
        result[options.ScoreColumnName] = new SchemaShape.Column(options.ScoreColumnName, SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, false, scoreAnnotations);
        result[options.PredictedLabelColumnName] = new SchemaShape.Column(options.PredictedLabelColumnName, SchemaShape.Column.VectorKind.Scalar,
            NumberDataViewType.UInt32, true, label.Annotations);
        return new SchemaShape(result.Values);
    }
}
