using Microsoft.ML.Lora.Pipeline;
using Microsoft.ML.Lora.SentenceSimilarity;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Lora;

/// <summary>
/// Fine-tunes a pretrained encoder (LoRA by default) into a cross-encoder that scores how similar two sentences are: both
/// are read together and a regression head gives <c>Score</c>, a Single on the label's scale, which
/// <c>mlContext.Regression.Evaluate</c> and <c>mlContext.Regression.EvaluateSimilarity</c> (Pearson, Spearman) accept.
/// </summary>
/// <remarks>
/// The label is any Single score (STS-B's 0–5, a 0–1 probability, ...). Training learns it standardised by the training
/// labels' mean and standard deviation, with mean squared error (so the loss is the share of the labels' variance left
/// unexplained); the trained head is then rescaled so that <c>Score</c> (and the PEFT adapter's output) is on the labels'
/// own scale. Scores are not clipped to the labels' range. A training pair with an empty
/// sentence or a missing label is refused (the message names the column and row); when scoring, an empty sentence is
/// valid input and gets a score. Pairs longer than <see cref="FineTuningOptions.MaxSequenceLength"/> tokens are truncated
/// longest-sentence-first, and the number of truncated rows is logged.
/// </remarks>
public sealed class LoraSentenceSimilarityEstimator : IEstimator<LoraSentenceSimilarityTransformer>
{
    private readonly IHostEnvironment env;
    private readonly LoraSentenceSimilarityOptions options;

    /// <summary>Creates the estimator; reach it through <c>mlContext.Transforms.LoraFineTune(options)</c> or the regression catalog.</summary>
    public LoraSentenceSimilarityEstimator(MLContext mlContext, LoraSentenceSimilarityOptions options)
        : this((IHostEnvironment)(mlContext ?? throw new ArgumentNullException(nameof(mlContext))), options) { }

    internal LoraSentenceSimilarityEstimator(IHostEnvironment env, LoraSentenceSimilarityOptions options)
    {
        this.env = env;
        this.options = options ?? throw new ArgumentNullException(nameof(options));
        options.Validate();
    }

    /// <summary>Trains on <paramref name="input"/> and returns the fine-tuned transformer.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A column is missing or of the wrong type (the message names it).</exception>
    /// <exception cref="InvalidDataException">A row has an empty sentence or a missing label, or all labels are equal (the message names the row or column).</exception>
    public LoraSentenceSimilarityTransformer Fit(IDataView input)
    {
        var task = new SentenceSimilarityTask(options);
        var (model, history) = FineTuningEstimator.Fit(env, options, task, input, "LoraSentenceSimilarity");
        return new LoraSentenceSimilarityTransformer(env, task, model, options.ScoringBatchSize, history);
    }

    /// <summary>The schema after the transformer: the input columns plus Score (Single).</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema) => FineTuningEstimator.GetOutputSchema(new SentenceSimilarityTask(options), inputSchema);
}
