using Microsoft.ML.Data;
using Microsoft.ML.Lora.Pipeline;
using Microsoft.ML.Lora.Tokenization;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Lora.SentenceEmbedding;

/// <summary>A tokenized training pair: each sentence on its own ([CLS] sentence [SEP]), and its score (scaled, or NaN without one).</summary>
internal sealed record SentencePair(int[] Ids1, int[] Ids2, float Score);

/// <summary>A pair as read from its row, before its score is scaled; <see cref="Row"/> names it in errors.</summary>
internal readonly record struct RawPair(long Row, int[] Ids1, int[] Ids2, float Score);

/// <summary>
/// Reads sentence pairs (and scores) from an IDataView, tokenizing each sentence once and on its own, as a bi-encoder sees
/// it. A pair with an empty sentence or a missing score is refused naming the row and column; truncations are logged.
/// </summary>
internal static class SentencePairRows
{
    /// <summary>Throws naming the column when a pair column is missing or not String, or the score column is missing (when <paramref name="scoreRequired"/>) or not Single.</summary>
    /// <returns>The score column to read, or null when there is none to read.</returns>
    public static DataViewSchema.Column? RequireColumns(DataViewSchema schema, SentenceEmbeddingColumns columns, bool scoreRequired)
    {
        new TextColumns(columns.Sentence1, columns.Sentence2).Require(schema);
        if (columns.Score is not { } name || (!scoreRequired && schema.GetColumnOrNull(name) is null)) return null;
        var score = ColumnChecks.Require(schema, name, "Score");
        if (score.Type != NumberDataViewType.Single)
            throw new ArgumentOutOfRangeException(name, $"Score column '{name}' has type {score.Type}; expected Single (a float score per pair).");
        return score;
    }

    /// <summary>Every row of <paramref name="data"/> as a pair; <paramref name="score"/> null = no scores (NaN). <paramref name="what"/> names the data ("training data").</summary>
    public static List<RawPair> Read(IDataView data, SentenceEmbeddingColumns columns, DataViewSchema.Column? score, TextTokenizer tokenizer,
        int maxLength, string what, IChannel ch)
    {
        var needed = new List<DataViewSchema.Column> { data.Schema[columns.Sentence1], data.Schema[columns.Sentence2] };
        if (score is { } s) needed.Add(s);
        using var cursor = data.GetRowCursor(needed);
        var readText = TextRows.Reader(cursor, new TextColumns(columns.Sentence1, columns.Sentence2));
        var getScore = score is { } sc ? cursor.GetGetter<float>(sc) : null;
        var result = new List<RawPair>();
        long truncated = 0, firstTruncated = -1;
        float value = float.NaN;
        while (cursor.MoveNext())
        {
            var (text1, text2) = readText();
            long row = cursor.Position;
            if (string.IsNullOrWhiteSpace(text1)) throw EmptyText(row, what, columns.Sentence1);
            if (string.IsNullOrWhiteSpace(text2)) throw EmptyText(row, what, columns.Sentence2);
            getScore?.Invoke(ref value);
            if (getScore is not null && !float.IsFinite(value))
                throw new InvalidDataException($"Row {row} of the {what}: score column '{columns.Score}' is {value}; every pair needs a finite score.");
            var ids1 = TextRows.Encode(tokenizer, maxLength, text1, null, out bool cut1).Ids;
            var ids2 = TextRows.Encode(tokenizer, maxLength, text2!, null, out bool cut2).Ids;
            if ((cut1 || cut2) && truncated++ == 0) firstTruncated = row;
            result.Add(new RawPair(row, ids1, ids2, getScore is null ? float.NaN : value));
        }
        if (truncated > 0)
            ch.Warning($"{truncated} of {result.Count} pair(s) of the {what} have a sentence over {maxLength} tokens, truncated (first: row {firstTruncated}).");
        return result;
    }

    private static InvalidDataException EmptyText(long row, string what, string column)
        => new($"Row {row} of the {what}: text column '{column}' is empty; every pair needs two sentences.");
}
