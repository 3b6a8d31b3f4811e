using Microsoft.ML.Data;
using Microsoft.ML.Lora.Pipeline;

namespace Microsoft.ML.Lora.QuestionAnswering;

/// <summary>
/// The column types question answering reads: text (String), answer texts (a String, or a vector of String whose first
/// item is used) and answer starts (a whole number, or a vector of them); checks whose messages name the column, and readers.
/// </summary>
internal static class QuestionAnsweringColumnTypes
{
    public const string AnswersExpected = "String, or a vector of String (the first item is trained on)";
    public const string StartsExpected = "an integer (Int32, Int64, UInt32, or a whole Single/Double), or a vector of them (the first item is trained on)";

    private static readonly Type[] NumberTypes = { typeof(int), typeof(long), typeof(uint), typeof(float), typeof(double) };

    public static bool IsText(SchemaShape.Column c) => c.ItemType is TextDataViewType && c.Kind == SchemaShape.Column.VectorKind.Scalar && !c.IsKey;

    public static bool IsAnswers(SchemaShape.Column c) => c.ItemType is TextDataViewType && !c.IsKey;

    public static bool IsStarts(SchemaShape.Column c) => !c.IsKey && c.ItemType is NumberDataViewType && NumberTypes.Contains(c.ItemType.RawType);

    public static DataViewSchema.Column RequireAnswers(DataViewSchema schema, string name, string role)
    {
        var c = ColumnChecks.Require(schema, name, role);
        if (c.Type is not TextDataViewType && c.Type is not VectorDataViewType { ItemType: TextDataViewType })
            throw new ArgumentOutOfRangeException(name, $"{role} column '{name}' has type {c.Type}; expected {AnswersExpected}.");
        return c;
    }

    public static DataViewSchema.Column RequireStarts(DataViewSchema schema, string name, string role)
    {
        var c = ColumnChecks.Require(schema, name, role);
        var item = c.Type is VectorDataViewType v ? v.ItemType : c.Type;
        if (item is not NumberDataViewType || !NumberTypes.Contains(item.RawType))
            throw new ArgumentOutOfRangeException(name, $"{role} column '{name}' has type {c.Type}; expected {StartsExpected}.");
        return c;
    }

    /// <summary>A reader of the current row's text: a String column's value (missing = empty).</summary>
    public static Func<string> TextReader(DataViewRow row, DataViewSchema.Column column)
    {
        var get = row.GetGetter<ReadOnlyMemory<char>>(column);
        ReadOnlyMemory<char> value = default;
        return () =>
        {
            get(ref value);
            return value.ToString();
        };
    }

    /// <summary>A reader of the current row's answers: a String is one answer, a vector's items are the answers.</summary>
    public static Func<string[]> AnswersReader(DataViewRow row, DataViewSchema.Column column)
    {
        if (column.Type is TextDataViewType)
        {
            var text = TextReader(row, column);
            return () => new[] { text() };
        }
        var get = row.GetGetter<VBuffer<ReadOnlyMemory<char>>>(column);
        VBuffer<ReadOnlyMemory<char>> values = default;
        return () =>
        {
            get(ref values);
            return values.DenseValues().Select(v => v.ToString()).ToArray();
        };
    }

    /// <summary>A reader of the current row's starts as doubles (checked to be whole by the caller): a scalar is one start.</summary>
    public static Func<double[]> StartsReader(DataViewRow row, DataViewSchema.Column column)
    {
        var item = column.Type is VectorDataViewType v ? v.ItemType : column.Type;
        return item.RawType switch
        {
            var t when t == typeof(int) => Numbers<int>(row, column, x => x),
            var t when t == typeof(long) => Numbers<long>(row, column, x => x),
            var t when t == typeof(uint) => Numbers<uint>(row, column, x => x),
            var t when t == typeof(float) => Numbers<float>(row, column, x => x),
            _ => Numbers<double>(row, column, x => x),
        };
    }

    private static Func<double[]> Numbers<T>(DataViewRow row, DataViewSchema.Column column, Func<T, double> toDouble)
    {
        if (column.Type is not VectorDataViewType)
        {
            var get = row.GetGetter<T>(column);
            T value = default!;
            return () =>
            {
                get(ref value);
                return new[] { toDouble(value) };
            };
        }
        var getVector = row.GetGetter<VBuffer<T>>(column);
        VBuffer<T> values = default;
        return () =>
        {
            getVector(ref values);
            return values.DenseValues().Select(toDouble).ToArray();
        };
    }
}
