namespace Microsoft.ML.Lora.QuestionAnswering;

/// <summary>
/// SQuAD v1.1 metrics of a scored IDataView: the predicted answer (String) against the row's reference answers (a
/// String, or a vector of String: the best over them counts).
/// </summary>
internal static class QuestionAnsweringEvaluator
{
    /// <exception cref="ArgumentOutOfRangeException">A column is missing or of the wrong type (the message names it).</exception>
    /// <exception cref="InvalidDataException">A row has no reference answer (the message names the row).</exception>
    public static QuestionAnsweringMetrics Evaluate(IDataView data, string referencesColumnName, string predictedAnswerColumnName)
    {
        ArgumentNullException.ThrowIfNull(data);
        var references = QuestionAnsweringColumnTypes.RequireAnswers(data.Schema, referencesColumnName, "References");
        var predicted = Pipeline.ColumnChecks.RequireText(data.Schema, predictedAnswerColumnName, "PredictedAnswer");
        using var cursor = data.GetRowCursor(new[] { references, predicted });
        var readReferences = QuestionAnsweringColumnTypes.AnswersReader(cursor, references);
        var readPredicted = QuestionAnsweringColumnTypes.TextReader(cursor, predicted);
        var rows = new List<(string, IReadOnlyList<string>)>();
        while (cursor.MoveNext())
        {
            var gold = readReferences();
            if (gold.Length == 0)
                throw new InvalidDataException($"Row {cursor.Position}: column '{referencesColumnName}' holds no reference answer; expected at least one per question.");
            rows.Add((readPredicted(), gold));
        }
        return QuestionAnsweringMetrics.Compute(rows);
    }
}
