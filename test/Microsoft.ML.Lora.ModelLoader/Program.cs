// usage: Microsoft.ML.Lora.ModelLoader <model.zip> <rows.tsv> <output column>[,<output column>...]
// rows.tsv: a header line of input column names (text columns), then one tab-separated row per line.
// Loads the zip with a plain MLContext.Model.Load (no registration call; Microsoft.ML.Lora is not loaded before it),
// scores the rows with Transform and prints name=value lines (rows separated by ';', vector items by ' '). A key column
// (or key vector) with key values is also printed through MapKeyToValue as name.KeyValues=..., the way users read tags back.
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;

bool loadedBefore = AppDomain.CurrentDomain.GetAssemblies().Any(a => a.GetName().Name == "Microsoft.ML.Lora");
var ml = new MLContext(seed: 1);
ITransformer model;
try
{
    model = ml.Model.Load(args[0], out _);
}
catch (Exception e)
{
    Console.WriteLine($"load_error={e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")}");
    return 3;
}
Console.WriteLine($"lora_loaded_before_load={loadedBefore}");
var header = File.ReadLines(args[1]).First().Split('\t');
var loader = ml.Data.CreateTextLoader(header.Select((h, i) => new TextLoader.Column(h, DataKind.String, i)).ToArray(),
    separatorChar: '\t', hasHeader: true, allowQuoting: false);
var scored = model.Transform(loader.Load(args[1]));
foreach (var name in args[2].Split(','))
{
    var column = scored.Schema[name];
    var values = new List<string>();
    using var cursor = scored.GetRowCursor(new[] { column });
    Func<string> read = column.Type switch
    {
        VectorDataViewType { ItemType: NumberDataViewType } => Reader<VBuffer<float>>(cursor, column, v => string.Join(" ", v.DenseValues().Select(F))),
        VectorDataViewType { ItemType: KeyDataViewType } => Reader<VBuffer<uint>>(cursor, column, v => string.Join(" ", v.DenseValues())),
        KeyDataViewType => Reader<uint>(cursor, column, v => v.ToString(CultureInfo.InvariantCulture)),
        NumberDataViewType when column.Type.RawType == typeof(float) => Reader<float>(cursor, column, F),
        _ => throw new NotSupportedException($"column {name} of type {column.Type}"),
    };
    while (cursor.MoveNext()) values.Add(read());
    Console.WriteLine($"{name}={string.Join(";", values)}");

    bool isKey = column.Type is KeyDataViewType or VectorDataViewType { ItemType: KeyDataViewType };
    if (isKey && column.Annotations.Schema.GetColumnOrNull("KeyValues") is not null)
    {
        string valuesName = name + ".KeyValues";
        var mapped = ml.Transforms.Conversion.MapKeyToValue(valuesName, name).Fit(scored).Transform(scored);
        var valuesColumn = mapped.Schema[valuesName];
        var mappedValues = new List<string>();
        using var mappedCursor = mapped.GetRowCursor(new[] { valuesColumn });
        Func<string> readMapped = valuesColumn.Type switch
        {
            VectorDataViewType { ItemType: TextDataViewType } => Reader<VBuffer<ReadOnlyMemory<char>>>(mappedCursor, valuesColumn, v => string.Join(" ", v.DenseValues())),
            TextDataViewType => Reader<ReadOnlyMemory<char>>(mappedCursor, valuesColumn, v => v.ToString()),
            _ => () => $"(key values of type {valuesColumn.Type})",
        };
        while (mappedCursor.MoveNext()) mappedValues.Add(readMapped());
        Console.WriteLine($"{valuesName}={string.Join(";", mappedValues)}");
    }
}
return 0;

static string F(float f) => f.ToString("R", CultureInfo.InvariantCulture);

static Func<string> Reader<T>(DataViewRowCursor cursor, DataViewSchema.Column column, Func<T, string> format)
{
    var getter = cursor.GetGetter<T>(column);
    T value = default!;
    return () => { getter(ref value); return format(value); };
}
