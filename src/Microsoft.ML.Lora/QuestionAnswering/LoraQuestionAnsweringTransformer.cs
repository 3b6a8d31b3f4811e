using Microsoft.ML;
using Microsoft.ML.Lora;
using Microsoft.ML.Lora.Persistence;
using Microsoft.ML.Lora.Pipeline;
using Microsoft.ML.Lora.QuestionAnswering;
using Microsoft.ML.Runtime;

[assembly: LoadableClass(typeof(LoraQuestionAnsweringTransformer), null, typeof(SignatureLoadModel), "LoRA question answering",
    LoraQuestionAnsweringTransformer.LoaderSignature)]

namespace Microsoft.ML.Lora;

/// <summary>
/// A fine-tuned extractive question answerer. Adds <c>Answer</c> (the best span of the context, an exact substring of
/// it), <c>AnswerStart</c> (its first character in the context) and <c>Score</c> (its probability). A row whose context or
/// question has no tokens (empty, or only whitespace) gets the answer "" at -1 with score 0. Contexts of any length are
/// read whole, in overlapping windows. Scoring, PredictionEngine use, PEFT export and .zip persistence are those of every
/// <see cref="FineTunedTransformer"/>.
/// </summary>
public sealed class LoraQuestionAnsweringTransformer : FineTunedTransformer
{
    internal const string LoaderSignature = "LoraQuestionAnsXf";

    private readonly QuestionAnsweringTask task;

    internal LoraQuestionAnsweringTransformer(IHostEnvironment env, QuestionAnsweringTask task, FineTunedModel model, int scoringBatchSize, TrainingHistory? history)
        : base(env, nameof(LoraQuestionAnsweringTransformer), task, model, scoringBatchSize, history)
        => this.task = task;

    /// <summary>Longest input in tokens, special tokens included: the size of a window.</summary>
    public int MaxSequenceLength => Model.MaxSequenceLength;

    /// <summary>Context tokens shared by consecutive windows of a long context.</summary>
    public int DocumentStride => task.Settings.DocumentStride;

    /// <summary>Question tokens kept (a longer question keeps its first ones).</summary>
    public int MaxQuestionLength => task.Settings.MaxQuestionLength;

    /// <summary>Longest answer considered, in tokens.</summary>
    public int MaxAnswerLength => task.Settings.MaxAnswerLength;

    /// <summary>Start and end candidates per window whose pairs are searched.</summary>
    public int NBestSize => task.Settings.NBestSize;

    /// <summary>
    /// The <paramref name="count"/> best answers to <paramref name="question"/> in <paramref name="context"/>, best first
    /// (distinct spans, ranked by start + end logit); none when the context or the question has no tokens.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is below 1.</exception>
    public IReadOnlyList<AnswerSpan> PredictAnswers(string context, string question, int count = 1)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(question);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        return QuestionAnsweringScoring.Predict(Model, task.Settings, new[] { (context, question) }, ScoringBatchSize, count, out _)[0];
    }

    // ---- ML.NET persistence ----

    private static VersionInfo GetVersionInfo() => new(
        modelSignature: "LORAQANS", verWrittenCur: 0x00010001, verReadableCur: 0x00010001, verWeCanReadBack: 0x00010001,
        loaderAssemblyName: typeof(LoraQuestionAnsweringTransformer).Assembly.FullName, loaderSignature: LoaderSignature);

    private protected override VersionInfo VersionInfo => GetVersionInfo();

    // Found by ML.NET's ComponentCatalog through the LoadableClass attribute: no registration call is needed.
    private static LoraQuestionAnsweringTransformer Create(IHostEnvironment env, ModelLoadContext ctx)
    {
        var loaded = ModelPackage.Load(env, ctx, GetVersionInfo(), QuestionAnsweringTask.TaskName, QuestionAnsweringTask.FromJson);
        return new LoraQuestionAnsweringTransformer(env, loaded.Task, loaded.Model, loaded.ScoringBatchSize, null);
    }
}
