using Microsoft.ML.Data;
using Microsoft.ML.Lora.Tokenization;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Lora.Pipeline;

/// <summary>The text column of a task's rows and the optional second text column (sentence pairs).</summary>
internal sealed record TextColumns(string Sentence1, string? Sentence2)
{
    /// <summary>The column names, in order.</summary>
    public IReadOnlyList<string> Names => Sentence2 is null ? new[] { Sentence1 } : new[] { Sentence1, Sentence2 };

    /// <summary>Throws naming the column when one is missing or not String.</summary>
    public void Require(DataViewSchema schema)
    {
        ColumnChecks.RequireText(schema, Sentence1, "Sentence1");
        if (Sentence2 is { } s2) ColumnChecks.RequireText(schema, s2, "Sentence2");
    }

    /// <summary>The same check on an estimator's schema shape.</summary>
    public void Require(SchemaShape schema)
    {
        static bool IsText(SchemaShape.Column c) => c.ItemType is TextDataViewType && c.Kind == SchemaShape.Column.VectorKind.Scalar;
        ColumnChecks.RequireShape(schema, Sentence1, "Sentence1", IsText, "String");
        if (Sentence2 is { } s2) ColumnChecks.RequireShape(schema, s2, "Sentence2", IsText, "String");
    }
}

/// <summary>A text (or text pair) as model input: ids with [CLS]/[SEP] and token types.</summary>
internal readonly record struct EncodedRow(int[] Ids, int[] TypeIds);

/// <summary>
/// Rows of text (or text pairs) read and tokenized once, for every task whose input is sentences: the reader of a row's
/// texts, the encoding, and one pass over an IDataView that logs how many rows were empty or truncated. A task adds what
/// else a row holds (its label) through <c>readExample</c>.
/// </summary>
internal static class TextRows
{
    /// <summary>A reader of the current row's text and pair; <paramref name="row"/> has the text columns active.</summary>
    public static Func<(string Text, string? Pair)> Reader(DataViewRow row, TextColumns columns)
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

    /// <summary>Tokenizes one row to at most <paramref name="maxLength"/> tokens.</summary>
    public static EncodedRow Encode(TextTokenizer tokenizer, int maxLength, string text, string? pair, out bool truncated)
    {
        var enc = tokenizer.Encode(text, pair, maxLength);
        truncated = enc.Truncated;
        return new EncodedRow(enc.InputIds.ToArray(), enc.TokenTypeIds.ToArray());
    }

    /// <summary>
    /// Reads every row of <paramref name="data"/>, tokenizing its texts once, and makes an example of each with
    /// <paramref name="readExample"/> (given the cursor once, with <paramref name="otherColumns"/> active, it returns the
    /// per-row maker; it may throw naming the row). Logs the empty and the truncated rows; <paramref name="what"/> names the
    /// data in messages ("training data").
    /// </summary>
    public static List<TExample> Read<TExample>(IDataView data, TextColumns columns, IReadOnlyList<DataViewSchema.Column> otherColumns,
        Func<DataViewRowCursor, Func<EncodedRow, TExample>> readExample, TextTokenizer tokenizer, int maxLength, string what, IChannel ch)
    {
        var needed = columns.Names.Select(n => data.Schema[n]).Concat(otherColumns).ToList();
        using var cursor = data.GetRowCursor(needed);
        var readText = Reader(cursor, columns);
        var makeExample = readExample(cursor);
        var result = new List<TExample>();
        long empty = 0, truncated = 0, firstTruncated = -1;
        while (cursor.MoveNext())
        {
            var (text, pair) = readText();
            if (string.IsNullOrWhiteSpace(text) && string.IsNullOrWhiteSpace(pair)) empty++;
            var encoded = Encode(tokenizer, maxLength, text, pair, out bool cut);
            if (cut && truncated++ == 0) firstTruncated = cursor.Position;
            result.Add(makeExample(encoded));
        }
        if (empty > 0) ch.Warning($"{empty} row(s) of the {what} have empty text; they are encoded as [CLS] [SEP].");
        if (truncated > 0)
            ch.Warning($"{truncated} of {result.Count} row(s) of the {what} exceed {maxLength} tokens and were truncated (first: row {firstTruncated}).");
        return result;
    }
}
