using System.Text.Json.Nodes;
using Microsoft.ML.Data;
using Microsoft.ML.Lora.Lora;
using Microsoft.ML.Lora.Models;
using Microsoft.ML.Lora.Onnx;
using Microsoft.ML.Lora.Tokenization;
using Microsoft.ML.Lora.Training;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Lora.Pipeline;

/// <summary>
/// A fine-tuning task (text classification, NER, ...): everything in which tasks differ, in one object that lives in the
/// task's folder. The shared estimator (<see cref="FineTuningEstimator"/>), transformer (<see cref="FineTunedTransformer"/>),
/// model builder (<see cref="ReadyModelBuilder"/>), persistence and PEFT code ask the task and never name one.
/// </summary>
/// <remarks>
/// A task object holds the task's settings: column names, and what training learns besides weights (label names, tags, a
/// temperature). The estimator makes a fresh one per <c>Fit</c>, which <see cref="FineTuningTask{TExample}.ReadExamples"/>
/// completes from the data; the transformer then owns it unchanged, and a loaded .zip rebuilds it from
/// <see cref="SettingsToJson"/> through the task's loader.
/// </remarks>
internal abstract class FineTuningTask
{
    /// <summary>The task's name in the .zip ("text-classification"); the loader of a .zip checks it.</summary>
    public abstract string Name { get; }

    /// <summary>How the task's model looks to PEFT: task type, implied head modules, key layout.</summary>
    public abstract PeftTaskType PeftTaskType { get; }

    /// <summary>The task model on <paramref name="encoder"/>: the head (or none) <paramref name="head"/> describes, freshly initialised.</summary>
    public abstract TaskModel CreateHead(EncoderModel encoder, HeadSpec head);

    /// <summary>
    /// The head of a format-1 .zip, which recorded only the head's output count and module names. Default: a pooler only
    /// when it was trained (a task that used BERT's pooler frozen says so here).
    /// </summary>
    public virtual HeadSpec Format1Head(int outputs, bool poolerTrained, EncoderConfig config)
        => new(outputs, poolerTrained ? PoolerUse.Trained : PoolerUse.None);

    /// <summary>
    /// The head of a PEFT adapter (or of a Hugging Face task model folder) for this task, from its tensor shapes (keys as the
    /// task model names them); throws <see cref="InvalidDataException"/> naming <paramref name="source"/> and the tensor when
    /// the file does not hold this task's head.
    /// </summary>
    public virtual HeadSpec HeadFromPeftAdapter(IReadOnlyDictionary<string, long[]> tensors, EncoderConfig config, string source)
        => throw new NotSupportedException($"Importing a PEFT adapter is not supported for {Name} yet.");

    /// <summary>
    /// The names of the head's outputs in index order (class labels, tags), written as <c>id2label</c> in the Hugging Face
    /// <c>config.json</c> beside an adapter and in a merged export; null when they have none.
    /// </summary>
    public virtual IReadOnlyList<string>? OutputNames => null;

    /// <summary>
    /// On import (PEFT adapter or Hugging Face folder), once the head is known: completes the task's output names from
    /// <paramref name="fileNames"/> (the <c>id2label</c> found in <paramref name="source"/>, null when there is none) unless
    /// the caller gave names, and checks that their count is the head's. Default: nothing (no names).
    /// </summary>
    /// <exception cref="ArgumentException">Names given by the caller do not fit the head.</exception>
    /// <exception cref="InvalidDataException">Names from the file do not fit the head, or the task needs names and has none.</exception>
    public virtual void CompleteOutputNames(HeadSpec head, IReadOnlyList<string>? fileNames, string source) { }

    /// <summary>The columns the task adds, in order: declared once, for the estimator's schema and for the scorer.</summary>
    public abstract IReadOnlyList<OutputSpec> Outputs { get; }

    /// <summary>
    /// Checks that <paramref name="input"/> has the columns training reads (estimator's <c>GetOutputSchema</c>; the message
    /// names the column) and returns the item type of the label names the outputs will carry, or null when there are none.
    /// </summary>
    public abstract DataViewType? CheckTrainingInput(SchemaShape input);

    /// <summary>The scorer of <paramref name="model"/> for data of schema <paramref name="input"/>; throws naming a missing or mistyped column.</summary>
    public abstract IRowScorer CreateScorer(DataViewSchema input, FineTunedModel model, ScoringContext context);

    /// <summary>The task's settings for the .zip (columns, labels, ...); the task's loader reads them back.</summary>
    public abstract JsonObject SettingsToJson();

    /// <summary>
    /// What <c>ExportToOnnx</c> needs of the task: its head's ONNX form (<c>Onnx/Heads/</c>) for the model's
    /// <paramref name="head"/>, label names and post-processing. Default: the task has no ONNX export yet.
    /// </summary>
    public virtual OnnxTaskDescription OnnxDescription(HeadSpec head)
        => throw new NotSupportedException($"ONNX export is not supported for {Name} yet.");
}

/// <summary>A task whose training examples are of type <typeparamref name="TExample"/>: what <c>Fit</c> needs of it.</summary>
internal abstract class FineTuningTask<TExample> : FineTuningTask
{
    /// <summary>
    /// Reads and tokenizes the training rows and the validation rows (each row once), checking their columns and values
    /// (errors name the column and row), and completes the task's settings from them (classes, label names, tags).
    /// </summary>
    public abstract TaskExamples<TExample> ReadExamples(IDataView train, IDataView? validation, TaskFitContext context);

    /// <summary>The head to train, once <see cref="ReadExamples"/> has run.</summary>
    public abstract HeadSpec TrainingHead(TaskFitContext context);

    /// <summary>Collation, loss and validation metric for the shared training loop.</summary>
    public abstract ITrainingTask<TExample> TrainingTask(TaskFitContext context);

    /// <summary>Adds one example to the resume fingerprint: its tokens and its labels, so that re-labelled data starts afresh.</summary>
    public abstract void AddToFingerprint(TExample example, RunFingerprint fingerprint);

    /// <summary>
    /// Adds what gives the examples' labels their meaning (label names, tags) to the resume fingerprint: the same label
    /// indices under other names are other labels. Default: nothing (labels that are plain numbers).
    /// </summary>
    public virtual void AddLabelsToFingerprint(RunFingerprint fingerprint) { }

    /// <summary>Runs after training on the model in inference form (e.g. fits a temperature on the validation examples).</summary>
    public virtual void AfterTraining(FineTunedModel model, TaskExamples<TExample> examples, TaskFitContext context) { }
}

/// <summary>A task's tokenized training and validation examples.</summary>
internal sealed record TaskExamples<TExample>(IReadOnlyList<TExample> Train, IReadOnlyList<TExample>? Validation);

/// <summary>What a task sees during <c>Fit</c>: the base model, its tokenizer and maximum input length, the log channel.</summary>
internal sealed record TaskFitContext(EncoderSource Base, FineTuningOptions Options, IChannel Channel)
{
    public TextTokenizer Tokenizer => Base.Tokenizer;
    public int MaxSequenceLength => Base.MaxSequenceLength;
    public EncoderConfig Config => Base.Config;
}

/// <summary>What a task's scorer gets besides the model: rows per model call and a host for warnings.</summary>
internal sealed record ScoringContext(int BatchSize, IHost Host);
