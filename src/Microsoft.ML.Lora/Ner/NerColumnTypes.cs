using Microsoft.ML.Data;
using Microsoft.ML.Lora.Pipeline;

namespace Microsoft.ML.Lora.Ner;

/// <summary>
/// The column types NER reads: words (a sentence split on whitespace, or a vector of words) and tags (a vector of
/// strings, or a vector of keys whose key values are the tag strings); checks whose messages name the column, and readers.
/// </summary>
internal static class NerColumnTypes
{
    public const string WordsExpected = "String (a sentence, split on whitespace) or a vector of String (the words)";
    public const string TagsExpected = "a vector of String (one tag per word) or a vector of key with String key values (MapValueToKey on such a vector)";

    public static DataViewSchema.Column RequireWords(DataViewSchema schema, string name, string role)
    {
        var c = ColumnChecks.Require(schema, name, role);
        if (c.Type is not TextDataViewType && c.Type is not VectorDataViewType { ItemType: TextDataViewType })
            throw new ArgumentOutOfRangeException(name, $"{role} column '{name}' has type {c.Type}; expected {WordsExpected}.");
        return c;
    }

    /// <summary>The tag column, and its key values when it is a key vector (null for a String vector).</summary>
    public static (DataViewSchema.Column Column, IReadOnlyList<string>? KeyNames) RequireTags(DataViewSchema schema, string name, string role)
    {
        var c = ColumnChecks.Require(schema, name, role);
        switch (c.Type)
        {
            case VectorDataViewType { ItemType: TextDataViewType }:
                return (c, null);
            case VectorDataViewType { ItemType: KeyDataViewType key } when key.RawType == typeof(uint):
                var names = KeyValueNames.FromColumn(c);
                if (names is null || names.ItemTypeName != "Text")
                    throw new ArgumentOutOfRangeException(name, $"{role} column '{name}' is a vector of key without String key values, so its tags cannot be read; expected {TagsExpected}.");
                return (c, names.Values);
            default:
                throw new ArgumentOutOfRangeException(name, $"{role} column '{name}' has type {c.Type}; expected {TagsExpected}.");
        }
    }

    public static bool IsWords(SchemaShape.Column c) => c.ItemType is TextDataViewType;

    public static bool IsTags(SchemaShape.Column c)
        => c.Kind != SchemaShape.Column.VectorKind.Scalar && (c.ItemType is TextDataViewType && !c.IsKey || c.IsKey && c.ItemType.RawType == typeof(uint));

    /// <summary>A reader of the current row's words: a String is split on whitespace, a vector's items are the words.</summary>
    public static Func<string[]> WordReader(DataViewRow row, DataViewSchema.Column column)
    {
        if (column.Type is TextDataViewType)
        {
            var get = row.GetGetter<ReadOnlyMemory<char>>(column);
            ReadOnlyMemory<char> text = default;
            return () =>
            {
                get(ref text);
                return SplitWords(text.ToString());
            };
        }
        var getWords = row.GetGetter<VBuffer<ReadOnlyMemory<char>>>(column);
        VBuffer<ReadOnlyMemory<char>> words = default;
        return () =>
        {
            getWords(ref words);
            return words.DenseValues().Select(w => w.ToString()).ToArray();
        };
    }

    /// <summary>Words of a sentence: the runs of non-whitespace characters.</summary>
    public static string[] SplitWords(string sentence) => sentence.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);

    /// <summary>A reader of the current row's tags as strings; a missing key (0) is an error naming the row, column and word.</summary>
    public static Func<string[]> TagReader(DataViewRow row, DataViewSchema.Column column, IReadOnlyList<string>? keyNames, string what)
    {
        if (keyNames is null)
        {
            var get = row.GetGetter<VBuffer<ReadOnlyMemory<char>>>(column);
            VBuffer<ReadOnlyMemory<char>> tags = default;
            return () =>
            {
                get(ref tags);
                return tags.DenseValues().Select(t => t.ToString()).ToArray();
            };
        }
        var getKeys = row.GetGetter<VBuffer<uint>>(column);
        VBuffer<uint> keys = default;
        return () =>
        {
            getKeys(ref keys);
            var result = new string[keys.Length];
            int i = 0;
            foreach (var key in keys.DenseValues())
            {
                if (key == 0 || key > keyNames.Count)
                    throw new InvalidDataException($"Row {row.Position} of the {what}: column '{column.Name}' has a missing or out-of-range key ({key}) at word {i}; every word needs a tag.");
                result[i++] = keyNames[(int)key - 1];
            }
            return result;
        };
    }
}
