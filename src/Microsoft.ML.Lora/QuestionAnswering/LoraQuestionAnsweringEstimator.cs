using Microsoft.ML.Lora.Pipeline;
using Microsoft.ML.Lora.QuestionAnswering;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Lora;

/// <summary>
/// Fine-tunes a pretrained encoder (LoRA by default) for extractive question answering (SQuAD v1.1): given a context and a
/// question, find the span of the context that answers it. Input: Context and Question (String) and, for training, the
/// answer text and its first character in the context. Output: <c>Answer</c> (an exact substring of the context),
/// <c>AnswerStart</c> (Int32) and <c>Score</c> (Single).
/// </summary>
/// <remarks>
/// <para>Each input is <c>[CLS] question [SEP] context [SEP]</c> with BERT's segment ids; a context longer than the room
/// left by the question is read in overlapping windows (<see cref="LoraQuestionAnsweringOptions.DocumentStride"/>), as
/// Hugging Face's <c>run_qa.py</c> does. Every window trains: on the answer's first and last token when it holds the whole
/// answer, on [CLS] otherwise (SQuAD v1.1). The loss is the mean of the start and the end cross-entropy.</para>
/// <para>Answers are searched over all windows of a question: the <see cref="LoraQuestionAnsweringOptions.NBestSize"/> best
/// start and end tokens of each window's context, start ≤ end, at most <see cref="LoraQuestionAnsweringOptions.MaxAnswerLength"/>
/// tokens, ranked by start + end logit. Token → character offsets come from the tokenizer, so an answer is exactly the
/// context's text, accents, case and symbols included.</para>
/// <para>With a validation set (the same columns) the per-epoch metric is the mean SQuAD F1 (0–1) of the best span against the
/// row's answer, which also picks the epoch kept. <c>mlContext.MulticlassClassification.EvaluateQuestionAnswering</c> gives
/// the official exact match and F1 against all reference answers.</para>
/// </remarks>
public sealed class LoraQuestionAnsweringEstimator : IEstimator<LoraQuestionAnsweringTransformer>
{
    private readonly IHostEnvironment env;
    private readonly LoraQuestionAnsweringOptions options;

    /// <summary>Creates the estimator; reach it through <c>mlContext.Transforms.LoraFineTune(options)</c> or the multiclass catalog.</summary>
    public LoraQuestionAnsweringEstimator(MLContext mlContext, LoraQuestionAnsweringOptions options)
        : this((IHostEnvironment)(mlContext ?? throw new ArgumentNullException(nameof(mlContext))), options) { }

    internal LoraQuestionAnsweringEstimator(IHostEnvironment env, LoraQuestionAnsweringOptions options)
    {
        this.env = env;
        this.options = options ?? throw new ArgumentNullException(nameof(options));
        options.Validate();
    }

    /// <summary>Trains on <paramref name="input"/> and returns the fine-tuned question answerer.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A column is missing or of the wrong type (the message names it), or
    /// <see cref="LoraQuestionAnsweringOptions.DocumentStride"/> leaves a window no room to advance.</exception>
    /// <exception cref="InvalidDataException">A row has no question or answer, or its answer is not the context's text at
    /// its start (the message names the row).</exception>
    public LoraQuestionAnsweringTransformer Fit(IDataView input)
    {
        var task = new QuestionAnsweringTask(options);
        var (model, history) = FineTuningEstimator.Fit(env, options, task, input, "LoraQuestionAnswering");
        return new LoraQuestionAnsweringTransformer(env, task, model, options.ScoringBatchSize, history);
    }

    /// <summary>
    /// The transformer of a PEFT LoRA adapter folder (<c>adapter_config.json</c> + <c>adapter_model.safetensors</c>), without
    /// training: one trained in Python with <c>peft</c> on a <c>*ForQuestionAnswering</c> model (task type QUESTION_ANS, with
    /// <c>qa_outputs</c> saved), or saved by <see cref="FineTunedTransformer.SaveAdapter"/>. The base is the options'
    /// <see cref="FineTuningOptions.BaseModel"/>; the columns, window and answer settings, maximum length, device and scoring
    /// batch size are the options' too. Several adapters on one base share one copy of its weights.
    /// </summary>
    /// <exception cref="InvalidDataException">The adapter is not QUESTION_ANS, lacks <c>qa_outputs</c>, uses a setting PEFT
    /// would compute differently or does not fit the base (the message names the file, the key or tensor, and what was expected).</exception>
    /// <exception cref="ArgumentOutOfRangeException">The document stride leaves a window no room to advance.</exception>
    public LoraQuestionAnsweringTransformer FromPeftAdapter(string adapterFolder)
    {
        var task = new QuestionAnsweringTask(options);
        return Imported(task, PeftImport.Load(env, options, task, adapterFolder, "LoraQuestionAnswering"));
    }

    /// <summary>
    /// The transformer of a fine-tuned Hugging Face question-answering folder (<c>*ForQuestionAnswering</c>: config.json,
    /// weights with <c>qa_outputs</c>, tokenizer), without training: what <see cref="FineTunedTransformer.SaveMergedModel"/>
    /// writes, or a model saved by <c>transformers</c>. The folder is the base (the options' <see cref="FineTuningOptions.BaseModel"/>
    /// is not used); the columns, window and answer settings, maximum length, device and scoring batch size are the options'.
    /// </summary>
    /// <exception cref="InvalidDataException">The folder holds another kind of model, or its head is incomplete (names the file and the tensor).</exception>
    public LoraQuestionAnsweringTransformer FromHuggingFaceModel(string modelFolder)
    {
        var task = new QuestionAnsweringTask(options);
        return Imported(task, HuggingFaceModelImport.Load(env, options, task, modelFolder, "LoraQuestionAnswering"));
    }

    private LoraQuestionAnsweringTransformer Imported(QuestionAnsweringTask task, FineTunedModel model)
    {
        task.Settings.CheckFits(model.MaxSequenceLength);
        return new LoraQuestionAnsweringTransformer(env, task, model, options.ScoringBatchSize, null);
    }

    /// <summary>The schema after the transformer: the input columns plus Answer (String), AnswerStart (Int32) and Score (Single).</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema) => FineTuningEstimator.GetOutputSchema(new QuestionAnsweringTask(options), inputSchema);
}
