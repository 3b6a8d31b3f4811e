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

    /// <summary>
    /// The tagger of a PEFT LoRA adapter, without training: e.g. trained in Python with <c>peft</c> on a
    /// <c>*ForTokenClassification</c> model (task type TOKEN_CLS), or saved by <see cref="FineTunedTransformer.SaveAdapter"/>.
    /// The base is the options' <see cref="FineTuningOptions.BaseModel"/>; the columns, maximum length, window overlap,
    /// device and scoring batch size are the options' too. The tags (IOB2, in the head's order) are <paramref name="tags"/>,
    /// else the <c>id2label</c> of the <c>config.json</c> beside the adapter. Several adapters on one base share its weights.
    /// </summary>
    /// <param name="adapterFolder">The folder with <c>adapter_config.json</c> and <c>adapter_model.safetensors</c>.</param>
    /// <param name="tags">The IOB2 tags in the head's output order; null = from the folder's config.json.</param>
    /// <exception cref="InvalidDataException">The adapter is not a TOKEN_CLS LoRA adapter of this base, or no tags are known
    /// (the message names the file, the key or tensor, and what was expected).</exception>
    /// <exception cref="ArgumentException"><paramref name="tags"/> does not name every output of the head, or is not a valid IOB2 tag set.</exception>
    public LoraNerTransformer FromPeftAdapter(string adapterFolder, IReadOnlyList<string>? tags = null)
    {
        var task = NerTask.ForImport(options, tags);
        var model = PeftImport.Load(env, options, task, adapterFolder, "LoraNer");
        task.ResolveWindowOverlap(model.MaxSequenceLength);
        return new LoraNerTransformer(env, task, model, options.ScoringBatchSize, null);
    }

    /// <summary>
    /// The tagger of a fine-tuned Hugging Face token classification folder (<c>*ForTokenClassification</c>), without
    /// training: what <see cref="FineTunedTransformer.SaveMergedModel"/> writes, or a model saved by <c>transformers</c>. The
    /// folder is the base; the columns and scoring settings are the options'. The tags are <paramref name="tags"/>, else the
    /// folder's <c>id2label</c> (which must be IOB2).
    /// </summary>
    /// <exception cref="InvalidDataException">The folder holds another kind of model, its head is incomplete, or no IOB2 tags are known.</exception>
    public LoraNerTransformer FromHuggingFaceModel(string modelFolder, IReadOnlyList<string>? tags = null)
    {
        var task = NerTask.ForImport(options, tags);
        var model = HuggingFaceModelImport.Load(env, options, task, modelFolder, "LoraNer");
        task.ResolveWindowOverlap(model.MaxSequenceLength);
        return new LoraNerTransformer(env, task, model, options.ScoringBatchSize, null);
    }

    /// <summary>The schema after the transformer: the input columns plus PredictedLabel (key vector) and Confidence.</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema) => FineTuningEstimator.GetOutputSchema(new NerTask(options), inputSchema);
}
