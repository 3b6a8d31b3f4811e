using Microsoft.ML.Lora.Tokenization;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Lora.QuestionAnswering;

/// <summary>
/// Rows of (context, question) read and tokenized once: the context with each sub-token's character range, the question
/// cut to the maximum question length; for training also the gold answer, checked against the context (errors name the
/// row and the columns) and aligned to the context's tokens.
/// </summary>
internal static class QuestionAnsweringRows
{
    /// <summary>A reader of the current row's context and question; <paramref name="row"/> has both columns active.</summary>
    public static Func<(string Context, string Question)> Reader(DataViewRow row, QuestionAnsweringColumns columns)
    {
        var context = QuestionAnsweringColumnTypes.TextReader(row, row.Schema[columns.Context]);
        var question = QuestionAnsweringColumnTypes.TextReader(row, row.Schema[columns.Question]);
        return () => (context(), question());
    }

    /// <summary>Tokenizes one question and its context; <paramref name="questionTruncated"/> tells whether the question lost tokens.</summary>
    public static QuestionAnsweringExample Encode(TextTokenizer tokenizer, int row, string context, string question, int maxQuestionLength,
        out bool questionTruncated)
    {
        var q = QuestionIds(tokenizer, question, maxQuestionLength, out questionTruncated);
        return new QuestionAnsweringExample(row, q, tokenizer.EncodeWithOffsets(context));
    }

    /// <summary>
    /// Reads every row of <paramref name="data"/> with its gold answer (the first of the row's answers and starts). Logs
    /// how many questions were cut and how many answers do not cover whole tokens (those train on [CLS] only).
    /// </summary>
    /// <exception cref="InvalidDataException">A row has no question, no answer or start, a start that is not a whole
    /// number inside the context, or an answer that is not the context's text at its start; the message names the row.</exception>
    public static List<QuestionAnsweringExample> ReadLabelled(IDataView data, QuestionAnsweringColumns columns, TextTokenizer tokenizer,
        QuestionAnsweringSettings settings, string what, IChannel ch)
    {
        var schema = data.Schema;
        Pipeline.ColumnChecks.RequireText(schema, columns.Context, "Context");
        Pipeline.ColumnChecks.RequireText(schema, columns.Question, "Question");
        var answers = QuestionAnsweringColumnTypes.RequireAnswers(schema, columns.Answer, "Answer");
        var starts = QuestionAnsweringColumnTypes.RequireStarts(schema, columns.AnswerStart, "AnswerStart");
        using var cursor = data.GetRowCursor(new[] { schema[columns.Context], schema[columns.Question], answers, starts });
        var readText = Reader(cursor, columns);
        var readAnswers = QuestionAnsweringColumnTypes.AnswersReader(cursor, answers);
        var readStarts = QuestionAnsweringColumnTypes.StartsReader(cursor, starts);
        var result = new List<QuestionAnsweringExample>();
        int truncated = 0, unaligned = 0;
        while (cursor.MoveNext())
        {
            int row = checked((int)cursor.Position);
            string where = $"Row {row} of the {what}";
            var (context, question) = readText();
            var q = QuestionIds(tokenizer, question, settings.MaxQuestionLength, out bool cut);
            if (q.Length == 0)
                throw new InvalidDataException($"{where}: column '{columns.Question}' is empty; every training row needs a question.");
            if (cut) truncated++;
            string answer = readAnswers().FirstOrDefault()
                ?? throw new InvalidDataException($"{where}: column '{columns.Answer}' holds no answer; every training row needs one.");
            double[] startValues = readStarts();
            if (startValues.Length == 0)
                throw new InvalidDataException($"{where}: column '{columns.AnswerStart}' holds no start; every training row needs the answer's first character.");
            double s = startValues[0];
            if (answer.Length == 0)
                throw new InvalidDataException($"{where}: the answer in column '{columns.Answer}' is empty.");
            if (!(s >= 0) || s != Math.Floor(s) || s + answer.Length > context.Length)
                throw new InvalidDataException($"{where}: answer start {s} (column '{columns.AnswerStart}') with an answer of {answer.Length} character(s) does not lie in the context of {context.Length} character(s) (column '{columns.Context}'); expected a character index in [0, {Math.Max(0, context.Length - answer.Length)}].");
            int start = (int)s;
            if (string.CompareOrdinal(context, start, answer, 0, answer.Length) != 0)
                throw new InvalidDataException($"{where}: the answer '{Clip(answer)}' (column '{columns.Answer}') is not the context's text at character {start} (column '{columns.AnswerStart}'): the context has '{Clip(context.Substring(start, answer.Length))}' there{Hint(context, answer, start)}.");
            var encoded = tokenizer.EncodeWithOffsets(context);
            var (first, last) = DocumentWindows.AnswerTokens(encoded, start, start + answer.Length);
            var example = new QuestionAnsweringExample(row, q, encoded, answer, first, last);
            if (!example.HasAlignedAnswer) unaligned++;
            result.Add(example);
        }
        if (truncated > 0) ch.Warning($"{truncated} of {result.Count} question(s) of the {what} exceed {settings.MaxQuestionLength} tokens (MaxQuestionLength) and keep their first ones.");
        if (unaligned > 0) ch.Warning($"{unaligned} answer(s) of the {what} cover no whole context token; those rows train on [CLS] only.");
        return result;
    }

    private static int[] QuestionIds(TextTokenizer tokenizer, string question, int maxQuestionLength, out bool truncated)
    {
        var ids = tokenizer.EncodeWithOffsets(question).Ids;
        truncated = ids.Count > maxQuestionLength;
        return ids.Take(maxQuestionLength).ToArray();
    }

    private static string Clip(string text) => text.Length <= 60 ? text : text[..57] + "...";

    /// <summary>Where the answer does occur, if it does: the usual cause is an offset counted in bytes or code points instead of UTF-16 characters.</summary>
    private static string Hint(string context, string answer, int start)
    {
        int found = context.IndexOf(answer, StringComparison.Ordinal);
        return found < 0 ? "; the answer occurs nowhere in the context"
            : $"; it occurs at character {found}{(found != start ? " (answer starts are UTF-16 character indices, as in SQuAD)" : "")}";
    }
}
