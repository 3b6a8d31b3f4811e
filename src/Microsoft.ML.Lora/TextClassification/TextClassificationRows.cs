using Microsoft.ML.Data;
using Microsoft.ML.Lora.Tokenization;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Lora.TextClassification;

/// <summary>
/// Reads text-classification rows and tokenizes them, in one place for training, validation, calibration and scoring: the
/// columns read, the encoding of a text (or text pair), and the counts of empty and truncated rows.
/// </summary>
internal static class TextClassificationRows
{
    /// <summary>A reader of the current row's text and pair; <paramref name="row"/> has the text columns active.</summary>
    public static Func<(string Text, string? Pair)> TextReader(DataViewRow row, TextClassificationColumns columns)
    {
        var get1 = row.GetGetter<ReadOnlyMemory<char>>(row.Schema[columns.Sentence1]);
        var get2 = columns.Sentence2 is { } s2 ? row.GetGetter<ReadOnlyMemory<char>>(row.Schema[s2]) : null;
        ReadOnlyMemory<char> a = default, b = default;
        return () =>
        {
            get1(ref a);
            get2?.Invoke(ref b);
            return (a.ToString(), get2 is null ? null : b.ToString());
        };
    }

    /// <summary>Tokenizes one row: ids with [CLS]/[SEP], token types, and <paramref name="label"/>.</summary>
    public static ClassificationExample Encode(TextTokenizer tokenizer, int maxLength, string text, string? pair, int label, out bool truncated)
    {
        var enc = tokenizer.Encode(text, pair, maxLength);
        truncated = enc.Truncated;
        return new ClassificationExample(enc.InputIds.ToArray(), enc.TokenTypeIds.ToArray(), label);
    }

    /// <summary>
    /// Reads and tokenizes every row of <paramref name="data"/>, whose label keys must be 1 to <paramref name="classes"/>; logs
    /// the empty and the truncated rows. <paramref name="what"/> names the data in messages ("training data").
    /// </summary>
    public static List<ClassificationExample> ReadLabelled(IDataView data, TextClassificationColumns columns, uint classes, TextTokenizer tokenizer,
        int maxLength, string what, IChannel ch)
    {
        var schema = data.Schema;
        var label = schema[columns.Label];
        var needed = new List<DataViewSchema.Column> { label, schema[columns.Sentence1] };
        if (columns.Sentence2 is { } s2) needed.Add(schema[s2]);
        using var cursor = data.GetRowCursor(needed);
        var getLabel = cursor.GetGetter<uint>(label);
        var readText = TextReader(cursor, columns);
        var result = new List<ClassificationExample>();
        uint key = 0;
        long empty = 0, truncated = 0, firstTruncated = -1;
        while (cursor.MoveNext())
        {
            getLabel(ref key);
            if (key == 0 || key > classes)
                throw new InvalidDataException($"Row {cursor.Position} of the {what}: label column '{columns.Label}' has a missing or out-of-range key ({key}); every row needs a label.");
            var (text, pair) = readText();
            if (string.IsNullOrWhiteSpace(text) && string.IsNullOrWhiteSpace(pair)) empty++;
            result.Add(Encode(tokenizer, maxLength, text, pair, (int)key - 1, out bool cut));
            if (cut && truncated++ == 0) firstTruncated = cursor.Position;
        }
        if (empty > 0) ch.Warning($"{empty} row(s) of the {what} have empty text; they are encoded as [CLS] [SEP].");
        if (truncated > 0)
            ch.Warning($"{truncated} of {result.Count} row(s) of the {what} exceed {maxLength} tokens and were truncated (first: row {firstTruncated}).");
        return result;
    }
}
