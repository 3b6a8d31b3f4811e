using Microsoft.ML.Data;
using Microsoft.ML.Lora.Lora;
using Microsoft.ML.Lora.Onnx;
using Microsoft.ML.Lora.Persistence;
using Microsoft.ML.Lora.Pipeline;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Lora;

/// <summary>
/// What every fine-tuned transformer of this library shares: <c>Transform</c> scores in batches (sorted by length inside a
/// look-ahead window, results in input order) with the adapter merged into the weights; <c>PredictionEngine</c> works too
/// (one engine per thread: engines are not thread-safe, but any number of them may share one transformer); the model
/// saves into an ML.NET .zip that a plain <c>mlContext.Model.Load</c> reads back; a LoRA model saves its PEFT adapter.
/// </summary>
/// <remarks>
/// The weights live in native memory. <see cref="Dispose"/> frees them at once (a service that reloads models should dispose
/// the old one: <c>using var model = …</c>, or <c>Dispose</c> on the chain that <c>Fit</c> or <c>Model.Load</c> returned);
/// a transformer that is only dropped is freed by the garbage collector later.
/// </remarks>
public abstract class FineTunedTransformer : ITransformer, IDisposable
{
    private const int LookAheadBatches = 8;
    private int disposed;

    private protected FineTunedTransformer(IHostEnvironment env, string name, FineTuningTask task, FineTunedModel model, int scoringBatchSize,
        TrainingHistory? history)
    {
        Host = env.Register(name);
        Task = task;
        model.Retain();
        Model = model;
        ScoringBatchSize = scoringBatchSize;
        TrainingHistory = history;
    }

    private protected IHost Host { get; }

    private protected FineTuningTask Task { get; }

    private protected FineTunedModel Model { get; }

    private protected int ScoringBatchSize { get; }

    /// <summary>Per-epoch losses and metrics, step losses and the kept epoch; null for a model loaded from a file.</summary>
    public TrainingHistory? TrainingHistory { get; }

    /// <summary>The fine-tuning method used.</summary>
    public FineTuningMethod Method => Model.Method;

    /// <summary>Trainable versus total parameters of the fine-tuned model.</summary>
    public TrainableParameterReport Parameters => Model.Parameters;

    /// <summary>The base model (Hugging Face id or folder).</summary>
    public string BaseModelName => Model.BaseModelName;

    /// <summary>The number format scoring computes in: the training precision, also after loading the .zip.</summary>
    public Precision Precision => Model.Precision;

    /// <summary>
    /// Scores in <paramref name="precision"/> from now on: e.g. float32 for a model trained in bfloat16 (its base weights keep
    /// the values they were trained with), or bfloat16 for a float32 model (about twice the throughput where the hardware
    /// supports it). Not while another thread scores with this transformer.
    /// </summary>
    public void UsePrecision(Precision precision)
    {
        if (!Enum.IsDefined(precision)) throw new ArgumentOutOfRangeException(nameof(precision), precision, "Precision must be Float32 or BFloat16.");
        using var use = Use();
        Model.UsePrecision(precision);
    }
    /// <summary>The base model's Hugging Face id, written as <c>base_model_name_or_path</c> by <see cref="SaveAdapter"/>.</summary>
    public string BaseModelId => Model.BaseModelId;

    /// <inheritdoc/>
    public bool IsRowToRowMapper => true;

    /// <inheritdoc/>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => Scorer(inputSchema).OutputSchema(inputSchema);

    /// <inheritdoc/>
    /// <exception cref="ObjectDisposedException">The transformer was disposed (also when the returned view is read afterwards).</exception>
    public IDataView Transform(IDataView input) => Scorer(input.Schema).ScoreInBatches(input, ScoringBatchSize * LookAheadBatches);

    /// <inheritdoc/>
    /// <remarks>
    /// What <c>PredictionEngine</c> uses. An engine serves one thread at a time. Using one from two threads at once is
    /// detected and throws an <see cref="InvalidOperationException"/> that says so, and the engine then refuses further use —
    /// a safety net, not a guarantee (a thread paused while ML.NET copies its outputs can still see another thread's). For
    /// many threads share one <see cref="ConcurrentPredictor{TSrc, TDst}"/> (<c>mlContext.Model.CreateConcurrentPredictor</c>)
    /// or give each thread its own engine.
    /// </remarks>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => Scorer(inputSchema).RowMapper(inputSchema);

    /// <summary>
    /// Frees the model's native memory (weights, merged LoRA weights) now, once the predictions running on other threads have
    /// returned; scoring afterwards throws <see cref="ObjectDisposedException"/>. A calibrated copy (<c>Calibrate</c>) shares
    /// the weights: they are freed when the last of the two is disposed. Calling it twice does nothing.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 0) Model.Release();
        GC.SuppressFinalize(this);
    }

    /// <summary>
    /// Writes the adapter and the trained head in PEFT's format (<c>adapter_config.json</c>, <c>adapter_model.safetensors</c>),
    /// loadable in Python with <c>PeftModel.from_pretrained</c> on the same base (<c>base_model_name_or_path</c> is
    /// <see cref="BaseModelId"/>), plus the Hugging Face <c>config.json</c> of the task model with its <c>id2label</c>, so that
    /// Python knows the architecture and the label names. The task's <c>FromPeftAdapter</c> reads it back.
    /// A head on the mean of the tokens adds <c>head_pooling.json</c>, which says so (Hugging Face's heads read the first token).
    /// </summary>
    /// <exception cref="InvalidOperationException">The method has no PEFT adapter (<see cref="FineTuningMethod.HasPeftAdapter"/>).</exception>
    public void SaveAdapter(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        if (!Model.Method.HasPeftAdapter)
            throw new InvalidOperationException($"This model has no PEFT adapter: it was fine-tuned with {Model.Method.Name}, and only LoRA models have one (SaveMergedModel writes any model as a Hugging Face folder).");
        using var use = Use();
        Model.Method.SavePeftAdapter(Model.Model, Task.PeftTaskType, folder, Model.BaseModelId, OutputNames);
        HeadPoolingFile.Write(folder, Model.Head.Pooling);
    }

    /// <summary>
    /// Writes the fine-tuned model merged — LoRA folded into the weights, head included — as a Hugging Face folder that
    /// <c>AutoModelFor…from_pretrained</c> loads with no PEFT: <c>config.json</c> (the task's architecture, e.g.
    /// <c>BertForSequenceClassification</c>, and <c>id2label</c>), <c>model.safetensors</c> (float32) and the tokenizer files.
    /// The task's <c>FromHuggingFaceModel</c> reads it back and scores the same. A head on the mean of the tokens adds
    /// <c>head_pooling.json</c> (as <see cref="SaveAdapter"/>): Hugging Face's own classes would read the first token.
    /// </summary>
    /// <exception cref="InvalidOperationException">The method adds modules the plain architecture lacks (bottleneck adapters, prefix tuning).</exception>
    public void SaveMergedModel(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        using var use = Use();
        MergedModelWriter.Write(folder, Model, Task.PeftTaskType, OutputNames);
        HeadPoolingFile.Write(folder, Model.Head.Pooling);
    }

    // The head's output names for Python's id2label: the task's, else Hugging Face's LABEL_i (so the head's size is stated).
    private IReadOnlyList<string>? OutputNames
        => Task.OutputNames ?? (Model.Head.Outputs > 0 ? Checkpoints.HuggingFaceModelConfig.DefaultLabels(Model.Head.Outputs) : null);

    /// <summary>
    /// Exports the model for ONNX Runtime (or ML.NET's <c>ApplyOnnxModel</c>) to <paramref name="path"/>, a .onnx file: the
    /// encoder in inference form (LoRA merged; adapters and prefixes written as the extra operations they are) with its head,
    /// inputs <c>input_ids</c>, <c>attention_mask</c> and, for BERT, <c>token_type_ids</c> (int64 [batch, sequence]), output
    /// <c>logits</c> (float32). Beside it go <c>scoring.json</c> (task, labels, maximum length, temperature, how scores come from
    /// the logits), the tokenizer files (<c>tokenizer.json</c>, <c>vocab.txt</c>, <c>tokenizer_config.json</c>,
    /// <c>special_tokens_map.json</c>) and a Hugging Face <c>config.json</c>; give each model its own folder. Each file is
    /// written under a temporary name and renamed.
    /// </summary>
    /// <param name="path">The .onnx file to write, in an existing folder, e.g. <c>"export/model.onnx"</c>.</param>
    /// <exception cref="DirectoryNotFoundException">The folder of <paramref name="path"/> does not exist.</exception>
    /// <exception cref="InvalidOperationException">The folder holds another model's export.</exception>
    /// <exception cref="NotSupportedException">The task or a module of the model has no ONNX form (named in the message).</exception>
    public void ExportToOnnx(string path)
    {
        using var use = Use();
        OnnxExport.Write(path, new OnnxExportSource(Model.Model, Model.Tokenizer, Model.MaxSequenceLength, Model.BaseModelName, Model.Method.Name),
            Task.OnnxDescription(Model.Head));
    }

    /// <summary>The model behind the transformer (tests and benches compare its logits with other runtimes).</summary>
    internal FineTunedModel ScoringModel => Model;

    /// <summary>Holds the weights for one call (saving, exporting); throws when this transformer was disposed.</summary>
    private FineTunedModel.InUse Use()
    {
        ThrowIfDisposed();
        return Model.Use();
    }

    // Checked here as well as in the model: a calibrated copy may keep the shared weights alive after this one is disposed.
    private protected void ThrowIfDisposed()
    {
        if (disposed != 0) throw FineTunedModel.Disposed();
    }

    /// <summary>The task's scorer for <paramref name="input"/>; throws when a column it reads is missing or of the wrong type.</summary>
    private protected IRowScorer Scorer(DataViewSchema input)
    {
        ThrowIfDisposed();
        return Task.CreateScorer(input, Model, new ScoringContext(ScoringBatchSize, Host));
    }

    /// <summary>The version header of the transformer's folder in the .zip.</summary>
    private protected abstract VersionInfo VersionInfo { get; }

    void ICanSaveModel.Save(ModelSaveContext ctx)
    {
        ctx.CheckAtModel();
        ctx.SetVersionInfo(VersionInfo);
        using var use = Use();
        ModelPackage.Save(ctx, Model, Task, ScoringBatchSize);
    }
}
