using Microsoft.ML.Data;
using Microsoft.ML.Lora.Pipeline;
using Microsoft.ML.Lora.Tokenization;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Lora.SentenceSimilarity;

/// <summary>
/// Labelled sentence pairs, tokenized once (<see cref="TextRows"/>), for training and validation. Stricter than scoring: a
/// pair with an empty sentence or a label that is not a finite number is refused, naming the column and the row, because
/// in training data it is a reading error (a shifted or unquoted field), not a pair to learn from.
/// </summary>
internal static class SentenceSimilarityRows
{
    /// <summary>The label column, which must be a Single; throws naming it otherwise.</summary>
    public static DataViewSchema.Column RequireLabel(DataViewSchema schema, string name, string role)
    {
        var c = ColumnChecks.Require(schema, name, role);
        if (c.Type != NumberDataViewType.Single)
            throw new ArgumentOutOfRangeException(name, $"{role} column '{name}' has type {c.Type}; expected Single (the pair's similarity as a number). "
                + $"Load it as a float, or convert it with mlContext.Transforms.Conversion.ConvertType(\"{name}\", outputKind: DataKind.Single).");
        return c;
    }

    /// <summary>Reads and tokenizes every row of <paramref name="data"/>; <paramref name="what"/> names the data in messages ("training data").</summary>
    public static List<SimilarityExample> ReadLabelled(IDataView data, SentenceSimilarityColumns columns, TextTokenizer tokenizer, int maxLength,
        string what, IChannel ch)
    {
        var label = data.Schema[columns.Label];
        return TextRows.Read<SimilarityExample>(data, columns.Text, new[] { label }, cursor =>
        {
            var getLabel = cursor.GetGetter<float>(label);
            var readText = TextRows.Reader(cursor, columns.Text);
            float value = 0;
            return encoded =>
            {
                var (a, b) = readText();
                if (string.IsNullOrWhiteSpace(a) || string.IsNullOrWhiteSpace(b))
                    throw new InvalidDataException($"Row {cursor.Position} of the {what}: column '{(string.IsNullOrWhiteSpace(a) ? columns.Sentence1 : columns.Sentence2)}' "
                        + "is empty; every training pair needs two sentences.");
                getLabel(ref value);
                if (!float.IsFinite(value))
                    throw new InvalidDataException($"Row {cursor.Position} of the {what}: label column '{columns.Label}' is {value} (a missing or non-numeric value); "
                        + "every pair needs a numeric similarity.");
                return new SimilarityExample(encoded.Ids, encoded.TypeIds, value);
            };
        }, tokenizer, maxLength, what, ch);
    }
}
