using Microsoft.ML;
using Microsoft.ML.Lora;
using Microsoft.ML.Lora.Methods;
using Microsoft.ML.Lora.Persistence;
using Microsoft.ML.Lora.Pipeline;
using Microsoft.ML.Lora.SentenceEmbedding;
using Microsoft.ML.Runtime;

[assembly: LoadableClass(typeof(LoraSentenceEmbeddingTransformer), null, typeof(SignatureLoadModel),
    "LoRA sentence embedding", LoraSentenceEmbeddingTransformer.LoaderSignature)]

namespace Microsoft.ML.Lora;

/// <summary>
/// A sentence embedder: adds <c>Embedding</c>, the unit-length mean-pooled embedding of the text column
/// (<c>Sentence1</c> by default), a vector of Single of <see cref="EmbeddingSize"/>. The dot product of two embeddings is
/// their cosine similarity. Only the text column is read: a pair's second column and its score matter to training alone.
/// An empty text gets the embedding of <c>[CLS] [SEP]</c>; longer texts than the model's maximum length are truncated (logged).
/// Scoring, PredictionEngine use, PEFT export (task type FEATURE_EXTRACTION) and .zip persistence are those of every
/// <see cref="FineTunedTransformer"/>.
/// </summary>
public sealed class LoraSentenceEmbeddingTransformer : FineTunedTransformer
{
    internal const string LoaderSignature = "LoraSentEmbXf";
    private const int DefaultScoringBatchSize = 32;

    internal LoraSentenceEmbeddingTransformer(IHostEnvironment env, SentenceEmbeddingTask task, FineTunedModel model, int scoringBatchSize,
        TrainingHistory? history)
        : base(env, nameof(LoraSentenceEmbeddingTransformer), task, model, scoringBatchSize, history) { }

    /// <summary>Values per embedding: the encoder's hidden size (all-MiniLM-L6-v2: 384).</summary>
    public int EmbeddingSize => Model.Model.NumLabels;

    /// <summary>Longest input in tokens, <c>[CLS]</c> and <c>[SEP]</c> included (all-MiniLM-L6-v2: 256, as sentence-transformers).</summary>
    public int MaxSequenceLength => Model.MaxSequenceLength;

    /// <summary>
    /// The pretrained model as a sentence embedder, untrained: on the embedded all-MiniLM-L6-v2 (the default) these are
    /// sentence-transformers' published embeddings (mean pooling, normalised). Nothing trains, so <see cref="FineTunedTransformer.Method"/>
    /// is <see cref="FineTuningMethod.HeadOnly"/> (there is no head) and a .zip of it on the embedded model stores no weights.
    /// </summary>
    /// <param name="mlContext">The ML.NET context.</param>
    /// <param name="baseModel">The encoder (default: the embedded all-MiniLM-L6-v2).</param>
    /// <param name="sentence1ColumnName">Input text column.</param>
    /// <param name="embeddingColumnName">Output embedding column.</param>
    /// <param name="maxSequenceLength">Longest input in tokens; null = the model's (MiniLM: 256).</param>
    public static LoraSentenceEmbeddingTransformer FromPretrained(MLContext mlContext, PretrainedModel? baseModel = null,
        string sentence1ColumnName = "Sentence1", string embeddingColumnName = "Embedding", int? maxSequenceLength = null)
    {
        ArgumentNullException.ThrowIfNull(mlContext);
        var env = (IHostEnvironment)mlContext;
        return Untrained(env, UntrainedTask(sentence1ColumnName, embeddingColumnName), baseModel ?? PretrainedModel.MiniLmL6V2,
            maxSequenceLength, DefaultScoringBatchSize, LoadDevice.For(env));
    }

    /// <summary>The encoder of <paramref name="baseModel"/> as it is, mean-pooled: nothing trains (head-only, and no head).</summary>
    internal static LoraSentenceEmbeddingTransformer Untrained(IHostEnvironment env, SentenceEmbeddingTask task, PretrainedModel baseModel,
        int? maxSequenceLength, int scoringBatchSize, TorchSharp.torch.Device device)
    {
        var source = EncoderSource.FromPretrained(baseModel, maxSequenceLength, log: null);
        var ready = ReadyModelBuilder.Build(source, SentenceEmbeddingTask.NoHead, task.CreateHead, FineTuningMethod.HeadOnly, device, shareBase: true);
        return new LoraSentenceEmbeddingTransformer(env, task, new FineTunedModel(ready), scoringBatchSize, null);
    }

    /// <summary>A task for a model not trained here: only its text and embedding columns matter.</summary>
    private static SentenceEmbeddingTask UntrainedTask(string sentence1ColumnName, string embeddingColumnName)
    {
        ArgumentException.ThrowIfNullOrEmpty(sentence1ColumnName);
        ArgumentException.ThrowIfNullOrEmpty(embeddingColumnName);
        var defaults = new LoraSentenceEmbeddingOptions();
        return new SentenceEmbeddingTask(new SentenceEmbeddingColumns(sentence1ColumnName, defaults.Sentence2ColumnName, null, embeddingColumnName),
            defaults.Loss, defaults.MultipleNegativesScale, null);
    }

    // ---- ML.NET persistence ----

    private static VersionInfo GetVersionInfo() => new(
        modelSignature: "LORASEMB", verWrittenCur: 0x00010001, verReadableCur: 0x00010001, verWeCanReadBack: 0x00010001,
        loaderAssemblyName: typeof(LoraSentenceEmbeddingTransformer).Assembly.FullName, loaderSignature: LoaderSignature);

    private protected override VersionInfo VersionInfo => GetVersionInfo();

    // Found by ML.NET's ComponentCatalog through the LoadableClass attribute: no registration call is needed.
    private static LoraSentenceEmbeddingTransformer Create(IHostEnvironment env, ModelLoadContext ctx)
    {
        var loaded = ModelPackage.Load(env, ctx, GetVersionInfo(), SentenceEmbeddingTask.TaskName, SentenceEmbeddingTask.FromJson);
        return new LoraSentenceEmbeddingTransformer(env, loaded.Task, loaded.Model, loaded.ScoringBatchSize, null);
    }
}
