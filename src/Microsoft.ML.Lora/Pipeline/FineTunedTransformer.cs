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
public abstract class FineTunedTransformer : ITransformer
{
    private const int LookAheadBatches = 8;

    private protected FineTunedTransformer(IHostEnvironment env, string name, FineTuningTask task, FineTunedModel model, int scoringBatchSize,
        TrainingHistory? history)
    {
        Host = env.Register(name);
        Task = task;
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
        Model.UsePrecision(precision);
    }

    /// <inheritdoc/>
    public bool IsRowToRowMapper => true;

    /// <inheritdoc/>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) => Scorer(inputSchema).OutputSchema(inputSchema);

    /// <inheritdoc/>
    public IDataView Transform(IDataView input) => Scorer(input.Schema).ScoreInBatches(input, ScoringBatchSize * LookAheadBatches);

    /// <inheritdoc/>
    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => Scorer(inputSchema).RowMapper(inputSchema);

    /// <summary>
    /// Writes the adapter and the trained head in PEFT's format (<c>adapter_config.json</c>, <c>adapter_model.safetensors</c>),
    /// loadable in Python with <c>PeftModel.from_pretrained</c> on the same base.
    /// </summary>
    /// <exception cref="InvalidOperationException">The method has no PEFT adapter (<see cref="FineTuningMethod.HasPeftAdapter"/>).</exception>
    public void SaveAdapter(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        if (!Model.Method.HasPeftAdapter)
            throw new InvalidOperationException($"Only LoRA models have a PEFT adapter; this one was fine-tuned with {Model.Method.Name}.");
        Model.Method.SavePeftAdapter(Model.Model, Task.PeftTaskType, folder, Model.BaseModelName);
    }

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
        => OnnxExport.Write(path, new OnnxExportSource(Model.Model, Model.Tokenizer, Model.MaxSequenceLength, Model.BaseModelName, Model.Method.Name),
            Task.OnnxDescription());

    /// <summary>The model behind the transformer (tests and benches compare its logits with other runtimes).</summary>
    internal FineTunedModel ScoringModel => Model;

    /// <summary>The task's scorer for <paramref name="input"/>; throws when a column it reads is missing or of the wrong type.</summary>
    private protected IRowScorer Scorer(DataViewSchema input) => Task.CreateScorer(input, Model, new ScoringContext(ScoringBatchSize, Host));

    /// <summary>The version header of the transformer's folder in the .zip.</summary>
    private protected abstract VersionInfo VersionInfo { get; }

    void ICanSaveModel.Save(ModelSaveContext ctx)
    {
        ctx.CheckAtModel();
        ctx.SetVersionInfo(VersionInfo);
        ModelPackage.Save(ctx, Model, Task, ScoringBatchSize);
    }
}
