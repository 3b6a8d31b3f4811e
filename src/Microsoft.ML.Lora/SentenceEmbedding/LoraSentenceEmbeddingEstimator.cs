using Microsoft.ML.Lora.Pipeline;
using Microsoft.ML.Lora.SentenceEmbedding;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Lora;

/// <summary>
/// Fine-tunes a pretrained encoder (LoRA by default) into a sentence embedder, as sentence-transformers trains a bi-encoder:
/// each sentence is encoded on its own, mean-pooled over its tokens and normalised to unit length, and pairs of sentences
/// teach the embeddings which sentences are close (<see cref="LoraSentenceEmbeddingOptions.Loss"/>). Training reads two text
/// columns and a score; the transformer embeds one text column into <c>Embedding</c>, a vector of Single of the encoder's
/// hidden size, whose dot products are cosine similarities.
/// </summary>
/// <remarks>
/// On the embedded all-MiniLM-L6-v2 (the default base) training starts from sentence-transformers' published embeddings;
/// <see cref="LoraSentenceEmbeddingTransformer.FromPretrained"/> gives them untrained. A pair with an empty sentence or a
/// score that is missing, NaN or outside <see cref="LoraSentenceEmbeddingOptions.MinScore"/>..<see cref="LoraSentenceEmbeddingOptions.MaxScore"/>
/// is refused naming the row and column. Sentences longer than <see cref="FineTuningOptions.MaxSequenceLength"/> tokens are
/// truncated (MiniLM: 256, as sentence-transformers does), and the count is logged.
/// </remarks>
public sealed class LoraSentenceEmbeddingEstimator : IEstimator<LoraSentenceEmbeddingTransformer>
{
    private readonly IHostEnvironment env;
    private readonly LoraSentenceEmbeddingOptions options;

    /// <summary>Creates the estimator; reach it through <c>mlContext.Transforms.LoraFineTune(options)</c>.</summary>
    public LoraSentenceEmbeddingEstimator(MLContext mlContext, LoraSentenceEmbeddingOptions options)
        : this((IHostEnvironment)(mlContext ?? throw new ArgumentNullException(nameof(mlContext))), options) { }

    internal LoraSentenceEmbeddingEstimator(IHostEnvironment env, LoraSentenceEmbeddingOptions options)
    {
        this.env = env;
        this.options = options ?? throw new ArgumentNullException(nameof(options));
        options.Validate();
    }

    /// <summary>Trains on the sentence pairs of <paramref name="input"/> and returns the fine-tuned embedder.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A column is missing or of the wrong type (the message names it).</exception>
    /// <exception cref="InvalidDataException">A row has an empty sentence or a missing or out-of-range score (the message names the row and column).</exception>
    public LoraSentenceEmbeddingTransformer Fit(IDataView input)
    {
        var task = new SentenceEmbeddingTask(options);
        var (model, history) = FineTuningEstimator.Fit(env, options, task, input, "LoraSentenceEmbedding");
        return new LoraSentenceEmbeddingTransformer(env, task, model, options.ScoringBatchSize, history);
    }

    /// <summary>
    /// The embedder of a PEFT LoRA adapter folder of task type FEATURE_EXTRACTION (<c>adapter_config.json</c> +
    /// <c>adapter_model.safetensors</c>, keys of the bare encoder: <c>base_model.model.encoder.layer.0…</c>), without training:
    /// e.g. one trained with <c>peft</c> on a sentence-transformers model (a sentence-transformers folder with the adapter at its
    /// root works as it is), or saved by <see cref="FineTunedTransformer.SaveAdapter"/>. The base is the options'
    /// <see cref="FineTuningOptions.BaseModel"/>; the text and embedding columns, maximum length, device and scoring batch size
    /// are the options' too. Embeddings are mean-pooled and normalised.
    /// </summary>
    /// <exception cref="InvalidDataException">The adapter is of another task type, uses a setting PEFT would compute
    /// differently or does not fit the base (the message names the file, the key or tensor, and what was expected).</exception>
    public LoraSentenceEmbeddingTransformer FromPeftAdapter(string adapterFolder)
    {
        var task = new SentenceEmbeddingTask(options);
        var model = PeftImport.Load(env, options, task, adapterFolder, "LoraSentenceEmbedding");
        return new LoraSentenceEmbeddingTransformer(env, task, model, options.ScoringBatchSize, null);
    }

    /// <summary>
    /// The embedder of a Hugging Face encoder folder (<c>BertModel</c>, ...: config.json, weights, tokenizer), without
    /// training: what <see cref="FineTunedTransformer.SaveMergedModel"/> writes (LoRA folded in), or any sentence-transformers
    /// model's folder. The folder is the base (the options' <see cref="FineTuningOptions.BaseModel"/> is not used); the columns,
    /// maximum length, device and scoring batch size are the options'.
    /// </summary>
    /// <exception cref="InvalidDataException">The folder is not a model of a supported encoder (names the file and what was expected).</exception>
    public LoraSentenceEmbeddingTransformer FromHuggingFaceModel(string modelFolder)
        => LoraSentenceEmbeddingTransformer.Untrained(env, new SentenceEmbeddingTask(options), PretrainedModel.FromHuggingFaceFolder(modelFolder),
            options.MaxSequenceLength, options.ScoringBatchSize, LoadDevice.For(env, options, log: null));

    /// <summary>The schema after the transformer: the input columns plus <c>Embedding</c> (a known-size vector of Single).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A training column is missing or of the wrong type (the message names it).</exception>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema) => FineTuningEstimator.GetOutputSchema(new SentenceEmbeddingTask(options), inputSchema);
}
