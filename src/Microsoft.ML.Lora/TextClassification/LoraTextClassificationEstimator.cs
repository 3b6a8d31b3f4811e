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

    /// <summary>
    /// The transformer of a PEFT LoRA adapter, without training: e.g. trained in Python with <c>peft</c> on a
    /// <c>*ForSequenceClassification</c> model (task type SEQ_CLS), or saved by <see cref="FineTunedTransformer.SaveAdapter"/>.
    /// The base is the options' <see cref="FineTuningOptions.BaseModel"/>; the columns, maximum length, device and scoring
    /// batch size are the options' too. The class names are <paramref name="labelNames"/>, else the <c>id2label</c> of the
    /// <c>config.json</c> beside the adapter, else none. Several adapters on one base share one copy of its weights.
    /// </summary>
    /// <param name="adapterFolder">The folder with <c>adapter_config.json</c> and <c>adapter_model.safetensors</c>.</param>
    /// <param name="labelNames">The classes in index order (the KeyValues of PredictedLabel); null = from the folder.</param>
    /// <exception cref="InvalidDataException">The adapter is not a SEQ_CLS LoRA adapter of this base, or uses a setting PEFT
    /// would compute differently (the message names the file, the key or tensor, and what was expected).</exception>
    /// <exception cref="ArgumentException"><paramref name="labelNames"/> does not name every class of the adapter's head.</exception>
    public LoraTextClassificationTransformer FromPeftAdapter(string adapterFolder, IReadOnlyList<string>? labelNames = null)
    {
        var task = TextClassificationTask.ForImport(options, labelNames);
        var model = PeftImport.Load(env, options, task, adapterFolder, "LoraTextClassification");
        return new LoraTextClassificationTransformer(env, task, model, options.ScoringBatchSize, null);
    }

    /// <summary>
    /// The transformer of a fine-tuned Hugging Face text classifier folder (<c>*ForSequenceClassification</c>: config.json,
    /// weights with the head, tokenizer), without training: what <see cref="FineTunedTransformer.SaveMergedModel"/> writes, or
    /// a model saved by <c>transformers</c>. The folder is the base (the options' <see cref="FineTuningOptions.BaseModel"/> is
    /// not used); the columns, maximum length, device and scoring batch size are the options'. The class names are
    /// <paramref name="labelNames"/>, else the folder's <c>id2label</c>.
    /// </summary>
    /// <exception cref="InvalidDataException">The folder holds another kind of model, or its head is incomplete (names the file and the tensor).</exception>
    public LoraTextClassificationTransformer FromHuggingFaceModel(string modelFolder, IReadOnlyList<string>? labelNames = null)
    {
        var task = TextClassificationTask.ForImport(options, labelNames);
        var model = HuggingFaceModelImport.Load(env, options, task, modelFolder, "LoraTextClassification");
        return new LoraTextClassificationTransformer(env, task, model, options.ScoringBatchSize, null);
    }

    /// <summary>The schema after the transformer: the input columns plus Score and PredictedLabel.</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema) => FineTuningEstimator.GetOutputSchema(new TextClassificationTask(options), inputSchema);
}
