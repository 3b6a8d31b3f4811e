namespace Microsoft.ML.Lora.Ner;

/// <summary>
/// Entity-level metrics of a scored IDataView: gold tags from the label column (converted from its scheme to IOB2),
/// predicted tags from the predicted-label column (a key vector with String key values, or a String vector), compared
/// sentence by sentence with <see cref="NerEvaluator"/> after repairing the predictions into valid IOB2.
/// </summary>
internal static class NerDataViewEvaluator
{
    public static NerMetrics Evaluate(IDataView data, string labelColumnName, string predictedLabelColumnName, TagScheme labelScheme)
    {
        ArgumentNullException.ThrowIfNull(data);
        var (label, labelKeys) = NerColumnTypes.RequireTags(data.Schema, labelColumnName, "Label");
        var (predicted, predictedKeys) = NerColumnTypes.RequireTags(data.Schema, predictedLabelColumnName, "PredictedLabel");
        using var cursor = data.GetRowCursor(new[] { label, predicted });
        var readGold = NerColumnTypes.TagReader(cursor, label, labelKeys, "data");
        var readPredicted = NerColumnTypes.TagReader(cursor, predicted, predictedKeys, "data");
        var evaluator = new NerEvaluator();
        while (cursor.MoveNext())
        {
            var gold = readGold();
            var guess = readPredicted();
            if (gold.Length != guess.Length)
                throw new InvalidDataException($"Row {cursor.Position}: {gold.Length} tag(s) in column '{labelColumnName}' but {guess.Length} in column '{predictedLabelColumnName}'; expected one of each per word.");
            try
            {
                evaluator.Add(TagSchemeConverter.ConvertToIob2(gold, labelScheme), TagSchemeConverter.RepairIob2(guess));
            }
            catch (ArgumentException e)
            {
                throw new InvalidDataException($"Row {cursor.Position}: {e.Message.Split(" (Parameter")[0]} (label scheme {labelScheme}).", e);
            }
        }
        return evaluator.GetMetrics();
    }
}
