using Microsoft.ML.Lora.Pipeline;
using Microsoft.ML.Lora.TextClassification;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Lora;

/// <summary>
/// Fine-tunes a pretrained encoder (LoRA by default) to classify a text (or a pair of texts) into the classes of a key
/// label column. Produces <c>Score</c> (class probabilities) and <c>PredictedLabel</c> (the label's key type), which
/// <c>mlContext.MulticlassClassification.Evaluate</c> accepts and <c>MapKeyToValue</c> turns back into label values.
/// </summary>
/// <remarks>
/// Empty or whitespace-only texts are valid input: they are encoded as <c>[CLS] [SEP]</c> and get a prediction (the
/// training log counts them). Texts longer than <see cref="FineTuningOptions.MaxSequenceLength"/> tokens are
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
    /// <exception cref="ArgumentOutOfRangeException">A column is missing or of the wrong type (the message names it).</exception>
    /// <exception cref="InvalidDataException">A row has a missing label (the message names the row).</exception>
    public LoraTextClassificationTransformer Fit(IDataView input)
    {
        var task = new TextClassificationTask(options);
        var (model, history) = FineTuningEstimator.Fit(env, options, task, input, "LoraTextClassification");
        return new LoraTextClassificationTransformer(env, task, model, options.ScoringBatchSize, history);
    }

    /// <summary>The schema after the transformer: the input columns plus Score and PredictedLabel.</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema) => FineTuningEstimator.GetOutputSchema(new TextClassificationTask(options), inputSchema);
}
