using System.Text.Json.Nodes;
using Microsoft.ML.Data;
using Microsoft.ML.Lora.Lora;
using Microsoft.ML.Lora.Models;
using Microsoft.ML.Lora.Onnx;
using Microsoft.ML.Lora.Onnx.Heads;
using Microsoft.ML.Lora.Pipeline;
using Microsoft.ML.Lora.Training;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Lora.QuestionAnswering;

/// <summary>
/// Extractive question answering (SQuAD v1.1) as a <see cref="FineTuningTask"/>: (context, question) → the span of the
/// context that answers it. Examples are question + context windows (<see cref="DocumentWindows"/>); head: <c>qa_outputs</c>
/// (start and end logit per token), no pooler; PEFT task type QUESTION_ANS; outputs Answer, AnswerStart and Score.
/// </summary>
internal sealed class QuestionAnsweringTask : FineTuningTask<QuestionAnsweringWindow>
{
    public const string TaskName = "question-answering";

    /// <summary>A task to fit as <paramref name="options"/> say.</summary>
    public QuestionAnsweringTask(LoraQuestionAnsweringOptions options)
        : this(new QuestionAnsweringColumns(options.ContextColumnName, options.QuestionColumnName, options.AnswerColumnName, options.AnswerStartColumnName,
                options.PredictedAnswerColumnName, options.PredictedAnswerStartColumnName, options.ScoreColumnName),
            new QuestionAnsweringSettings(options.DocumentStride, options.MaxQuestionLength, options.MaxAnswerLength, options.NBestSize))
    { }

    /// <summary>A trained (or imported) task: its columns and its window and search settings.</summary>
    public QuestionAnsweringTask(QuestionAnsweringColumns columns, QuestionAnsweringSettings settings)
    {
        Columns = columns;
        Settings = settings;
    }

    public QuestionAnsweringColumns Columns { get; }

    public QuestionAnsweringSettings Settings { get; }

    public override string Name => TaskName;

    public override PeftTaskType PeftTaskType => PeftTaskType.QuestionAnswering;

    public override TaskModel CreateHead(EncoderModel encoder, HeadSpec head)
        => head.Outputs == QuestionAnsweringModel.Outputs ? new QuestionAnsweringModel(encoder)
            : throw new InvalidDataException($"A question-answering head has {QuestionAnsweringModel.Outputs} outputs (start, end), not {head.Outputs}.");

    public override HeadSpec HeadFromPeftAdapter(IReadOnlyDictionary<string, long[]> tensors, EncoderConfig config, string source)
    {
        long[] expected = { QuestionAnsweringModel.Outputs, config.HiddenSize };
        if (!tensors.TryGetValue("qa_outputs.weight", out var shape))
            throw new InvalidDataException($"{source}: no '{PeftTaskType.ToPeftKey(config.Names.Root, "qa_outputs.weight")}' tensor; a QUESTION_ANS adapter must save its span head (modules_to_save: qa_outputs).");
        if (!shape.SequenceEqual(expected))
            throw new InvalidDataException($"{source}: tensor '{PeftTaskType.ToPeftKey(config.Names.Root, "qa_outputs.weight")}' has shape [{string.Join(", ", shape)}], expected [{string.Join(", ", expected)}] (start and end over the base's hidden size).");
        return TrainingHead();
    }

    public override IReadOnlyList<OutputSpec> Outputs => new[]
    {
        new OutputSpec(Columns.PredictedAnswer, OutputShape.Scalar, TextDataViewType.Instance),
        new OutputSpec(Columns.PredictedAnswerStart, OutputShape.Scalar, NumberDataViewType.Int32),
        new OutputSpec(Columns.Score, OutputShape.Scalar, NumberDataViewType.Single),
    };

    public override DataViewType? CheckTrainingInput(SchemaShape input)
    {
        ColumnChecks.RequireShape(input, Columns.Context, "Context", QuestionAnsweringColumnTypes.IsText, "String");
        ColumnChecks.RequireShape(input, Columns.Question, "Question", QuestionAnsweringColumnTypes.IsText, "String");
        ColumnChecks.RequireShape(input, Columns.Answer, "Answer", QuestionAnsweringColumnTypes.IsAnswers, QuestionAnsweringColumnTypes.AnswersExpected);
        ColumnChecks.RequireShape(input, Columns.AnswerStart, "AnswerStart", QuestionAnsweringColumnTypes.IsStarts, QuestionAnsweringColumnTypes.StartsExpected);
        return null;
    }

    public override IRowScorer CreateScorer(DataViewSchema input, FineTunedModel model, ScoringContext context)
        => new QuestionAnsweringScorer(input, model, this, context);

    public override TaskExamples<QuestionAnsweringWindow> ReadExamples(IDataView train, IDataView? validation, TaskFitContext context)
    {
        Settings.CheckFits(context.MaxSequenceLength);
        var trainWindows = Windows(train, "training data", context);
        if (trainWindows.Count == 0) throw new InvalidOperationException("The training data has no rows.");
        return new TaskExamples<QuestionAnsweringWindow>(trainWindows, validation is null ? null : Windows(validation, "validation data", context));
    }

    public override HeadSpec TrainingHead(TaskFitContext context) => TrainingHead();

    public override ITrainingTask<QuestionAnsweringWindow> TrainingTask(TaskFitContext context)
        => new QuestionAnsweringTrainingTask(context.Tokenizer.PadId, context.Config.TypeVocabSize > 1, Settings);

    public override void AddToFingerprint(QuestionAnsweringWindow example, RunFingerprint fingerprint)
        => fingerprint.Add(example.Example.Row).Add(example.Ids).Add(example.TypeIds).Add(example.StartPosition).Add(example.EndPosition);

    public override JsonObject SettingsToJson() => new()
    {
        ["context"] = Columns.Context, ["question"] = Columns.Question, ["answer"] = Columns.Answer, ["answer_start"] = Columns.AnswerStart,
        ["predicted_answer"] = Columns.PredictedAnswer, ["predicted_answer_start"] = Columns.PredictedAnswerStart, ["score"] = Columns.Score,
        ["document_stride"] = Settings.DocumentStride, ["max_question_length"] = Settings.MaxQuestionLength,
        ["max_answer_length"] = Settings.MaxAnswerLength, ["n_best_size"] = Settings.NBestSize,
    };

    /// <summary>The span head; the windowing and span search that turn its logits into answers are described in scoring.json.</summary>
    public override OnnxTaskDescription OnnxDescription(HeadSpec head) => new(TaskName, SpanOnnxHead.Instance, Array.Empty<string>(), new JsonObject
    {
        ["sentence_pair"] = true, ["question_first"] = true, ["document_stride"] = Settings.DocumentStride,
        ["max_question_length"] = Settings.MaxQuestionLength, ["max_answer_length"] = Settings.MaxAnswerLength, ["n_best_size"] = Settings.NBestSize,
        ["postprocess"] = "windows: [CLS] question [SEP] context window [SEP], windows overlapping by document_stride context tokens; "
            + "best span over all windows with start <= end, inside the context, at most max_answer_length tokens; "
            + "Score = softmax(start_logits)[start] * softmax(end_logits)[end], each softmax over the window's context tokens",
    });

    /// <summary>Reads what <see cref="SettingsToJson"/> wrote.</summary>
    public static QuestionAnsweringTask FromJson(JsonObject s, string source) => new(
        new QuestionAnsweringColumns(JsonSettings.Required<string>(s, "context", source), JsonSettings.Required<string>(s, "question", source),
            JsonSettings.Required<string>(s, "answer", source), JsonSettings.Required<string>(s, "answer_start", source),
            JsonSettings.Required<string>(s, "predicted_answer", source), JsonSettings.Required<string>(s, "predicted_answer_start", source),
            JsonSettings.Required<string>(s, "score", source)),
        new QuestionAnsweringSettings(JsonSettings.Required<int>(s, "document_stride", source), JsonSettings.Required<int>(s, "max_question_length", source),
            JsonSettings.Required<int>(s, "max_answer_length", source), JsonSettings.Required<int>(s, "n_best_size", source)));

    private static HeadSpec TrainingHead() => new(QuestionAnsweringModel.Outputs, PoolerUse.None);

    private List<QuestionAnsweringWindow> Windows(IDataView data, string what, TaskFitContext context)
    {
        var tokenizer = context.Tokenizer;
        var examples = QuestionAnsweringRows.ReadLabelled(data, Columns, tokenizer, Settings, what, context.Channel);
        var windows = new List<QuestionAnsweringWindow>(examples.Count);
        int windowed = 0, missed = 0;
        foreach (var e in examples)
        {
            var cut = DocumentWindows.Split(e, context.MaxSequenceLength, Settings.DocumentStride, tokenizer.ClsId, tokenizer.SepId);
            if (cut.Count > 1) windowed++;
            if (e.HasAlignedAnswer && !cut.Any(w => w.HasAnswer)) missed++;
            windows.AddRange(cut);
        }
        int withoutAnswer = windows.Count(w => !w.HasAnswer);
        context.Channel.Info($"{examples.Count} question(s) of the {what} make {windows.Count} window(s) of at most {context.MaxSequenceLength} tokens "
            + $"(stride {Settings.DocumentStride}); {windowed} context(s) needed more than one window; {withoutAnswer} window(s) lack the answer and train on [CLS].");
        if (missed > 0)
            context.Channel.Warning($"{missed} answer(s) of the {what} are longer than a window holds; those rows train on [CLS] only.");
        return windows;
    }
}
