using Microsoft.ML.Lora.Ner;
using Microsoft.ML.Lora.Pipeline;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Lora;

/// <summary>
/// Fine-tunes a pretrained encoder (LoRA by default) to tag the words of a sentence with named entities (token
/// classification). Input: a sentence (String, split on whitespace) or its words (vector of String), and one tag per word
/// (vector of String, or vector of key). Output: <c>PredictedLabel</c> (one IOB2 tag key per word) and <c>Confidence</c>.
/// </summary>
/// <remarks>
/// <para>Each word's tag sits on its first sub-token; its other sub-tokens and the special tokens are left out of the loss.</para>
/// <para>Tags are trained and predicted in IOB2; labels in IO, IOB1 or BIOES (<see cref="LoraNerOptions.LabelScheme"/>) are
/// converted first. The model's tags are <c>O</c> and <c>B-X</c>, <c>I-X</c> of every type in the training and validation
/// labels; with a key label column in IOB2 its key values come first, in key order, so predicted keys equal label keys.</para>
/// <para>Sentences longer than <see cref="FineTuningOptions.MaxSequenceLength"/> are cut into overlapping windows of whole
/// words (<see cref="LoraNerOptions.WindowOverlap"/>); every window is trained on, and every word is predicted from the
/// window where it is most central. No word is dropped.</para>
/// <para>With a validation set the per-epoch metric is entity-level micro F1 (conlleval), which also picks the epoch kept.</para>
/// </remarks>
public sealed class LoraNerEstimator : IEstimator<LoraNerTransformer>
{
    private readonly IHostEnvironment env;
    private readonly LoraNerOptions options;

    /// <summary>Creates the estimator; reach it through <c>mlContext.Transforms.LoraFineTune(options)</c> or the multiclass catalog.</summary>
    public LoraNerEstimator(MLContext mlContext, LoraNerOptions options)
        : this((IHostEnvironment)(mlContext ?? throw new ArgumentNullException(nameof(mlContext))), options) { }

    internal LoraNerEstimator(IHostEnvironment env, LoraNerOptions options)
    {
        this.env = env;
        this.options = options ?? throw new ArgumentNullException(nameof(options));
        options.Validate();
    }

    /// <summary>Trains on <paramref name="input"/> and returns the fine-tuned tagger.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A column is missing or of the wrong type (the message names it).</exception>
    /// <exception cref="InvalidDataException">A row's tag count differs from its word count, or a tag is invalid (the message names the row).</exception>
    public LoraNerTransformer Fit(IDataView input)
    {
        var task = new NerTask(options);
        var (model, history) = FineTuningEstimator.Fit(env, options, task, input, "LoraNer");
        return new LoraNerTransformer(env, task, model, options.ScoringBatchSize, history);
    }

    /// <summary>The schema after the transformer: the input columns plus PredictedLabel (key vector) and Confidence.</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema) => FineTuningEstimator.GetOutputSchema(new NerTask(options), inputSchema);
}
