using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.ML.Data;

namespace Microsoft.ML.Lora.Pipeline;

/// <summary>
/// The values behind a key column (its <c>KeyValues</c> annotation), kept with the model so that a loaded model's
/// <c>PredictedLabel</c> maps back to the original label values with <c>MapKeyToValue</c>, whatever their type.
/// </summary>
internal sealed class KeyValueNames
{
    private static readonly Dictionary<string, DataViewType> TypesByName = new()
    {
        ["Text"] = TextDataViewType.Instance, ["Single"] = NumberDataViewType.Single, ["Double"] = NumberDataViewType.Double,
        ["Int32"] = NumberDataViewType.Int32, ["Int64"] = NumberDataViewType.Int64, ["UInt32"] = NumberDataViewType.UInt32,
        ["UInt64"] = NumberDataViewType.UInt64, ["Boolean"] = BooleanDataViewType.Instance,
    };

    public KeyValueNames(string itemTypeName, IReadOnlyList<string> values)
    {
        if (!TypesByName.ContainsKey(itemTypeName)) throw new InvalidDataException($"Unsupported key value type '{itemTypeName}'.");
        ItemTypeName = itemTypeName;
        Values = values;
    }

    /// <summary>"Text", "Single", "Int32", ...</summary>
    public string ItemTypeName { get; }

    /// <summary>The values as invariant strings, in key order (key 1 = Values[0]).</summary>
    public IReadOnlyList<string> Values { get; }

    public DataViewType ItemType => TypesByName[ItemTypeName];

    /// <summary>Reads the KeyValues annotation of a key column, or null when it has none or of an unsupported type.</summary>
    public static KeyValueNames? FromColumn(DataViewSchema.Column column)
    {
        var ann = column.Annotations.Schema.GetColumnOrNull(AnnotationUtils.Kinds.KeyValues);
        if (ann is null || ann.Value.Type is not VectorDataViewType vt) return null;
        var name = TypesByName.FirstOrDefault(kv => kv.Value.Equals(vt.ItemType)).Key;
        if (name is null) return null;
        return name switch
        {
            "Text" => Read<ReadOnlyMemory<char>>(column, name, v => v.ToString()),
            "Single" => Read<float>(column, name, v => v.ToString("R", CultureInfo.InvariantCulture)),
            "Double" => Read<double>(column, name, v => v.ToString("R", CultureInfo.InvariantCulture)),
            "Int32" => Read<int>(column, name, v => v.ToString(CultureInfo.InvariantCulture)),
            "Int64" => Read<long>(column, name, v => v.ToString(CultureInfo.InvariantCulture)),
            "UInt32" => Read<uint>(column, name, v => v.ToString(CultureInfo.InvariantCulture)),
            "UInt64" => Read<ulong>(column, name, v => v.ToString(CultureInfo.InvariantCulture)),
            _ => Read<bool>(column, name, v => v ? "True" : "False"),
        };
    }

    private static KeyValueNames Read<T>(DataViewSchema.Column column, string typeName, Func<T, string> format)
    {
        VBuffer<T> buffer = default;
        column.GetKeyValues(ref buffer);
        return new KeyValueNames(typeName, buffer.DenseValues().Select(format).ToArray());
    }

    /// <summary>Adds the KeyValues annotation to <paramref name="builder"/>.</summary>
    public void AddTo(DataViewSchema.Annotations.Builder builder)
    {
        var vectorType = new VectorDataViewType((PrimitiveDataViewType)ItemType, Values.Count);
        switch (ItemTypeName)
        {
            case "Text": Add(builder, vectorType, Values.Select(v => v.AsMemory())); break;
            case "Single": Add(builder, vectorType, Values.Select(v => float.Parse(v, CultureInfo.InvariantCulture))); break;
            case "Double": Add(builder, vectorType, Values.Select(v => double.Parse(v, CultureInfo.InvariantCulture))); break;
            case "Int32": Add(builder, vectorType, Values.Select(v => int.Parse(v, CultureInfo.InvariantCulture))); break;
            case "Int64": Add(builder, vectorType, Values.Select(v => long.Parse(v, CultureInfo.InvariantCulture))); break;
            case "UInt32": Add(builder, vectorType, Values.Select(v => uint.Parse(v, CultureInfo.InvariantCulture))); break;
            case "UInt64": Add(builder, vectorType, Values.Select(v => ulong.Parse(v, CultureInfo.InvariantCulture))); break;
            default: Add(builder, vectorType, Values.Select(v => v == "True")); break;
        }
    }

    private static void Add<T>(DataViewSchema.Annotations.Builder builder, VectorDataViewType type, IEnumerable<T> values)
    {
        var array = values.ToArray();
        builder.Add(AnnotationUtils.Kinds.KeyValues, type, (ref VBuffer<T> dst) => dst = new VBuffer<T>(array.Length, (T[])array.Clone()));
    }

    /// <summary>Slot names for a score vector: the labels as text.</summary>
    public void AddSlotNames(DataViewSchema.Annotations.Builder builder)
    {
        var names = Values.Select(v => v.AsMemory()).ToArray();
        builder.Add(AnnotationUtils.Kinds.SlotNames, new VectorDataViewType(TextDataViewType.Instance, names.Length),
            (ref VBuffer<ReadOnlyMemory<char>> dst) => dst = new VBuffer<ReadOnlyMemory<char>>(names.Length, (ReadOnlyMemory<char>[])names.Clone()));
    }

    /// <summary>Stores the values in a model's task settings as <c>{prefix}_type</c> and <c>{prefix}_values</c>.</summary>
    public void WriteTo(JsonObject settings, string prefix)
    {
        settings[prefix + "_type"] = ItemTypeName;
        settings[prefix + "_values"] = new JsonArray(Values.Select(v => (JsonNode?)v).ToArray());
    }

    /// <summary>Reads what <see cref="WriteTo"/> stored; null when the settings have none.</summary>
    public static KeyValueNames? ReadFrom(JsonObject settings, string prefix)
        => settings[prefix + "_type"]?.GetValue<string>() is { } type
            ? new KeyValueNames(type, settings[prefix + "_values"]!.AsArray().Select(v => v!.GetValue<string>()).ToArray())
            : null;
}
