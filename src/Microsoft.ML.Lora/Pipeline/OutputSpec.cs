using Microsoft.ML.Data;

namespace Microsoft.ML.Lora.Pipeline;

/// <summary>The shape of a column a task adds.</summary>
internal enum OutputShape
{
    /// <summary>One value per row.</summary>
    Scalar,
    /// <summary>A vector of known size per row (class probabilities, an embedding).</summary>
    Vector,
    /// <summary>A vector whose length varies per row (one value per word).</summary>
    VariableVector,
}

/// <summary>
/// A column a task adds to its input, declared once by the task: the estimator's <c>GetOutputSchema(SchemaShape)</c> reads
/// it as it is, and the scorer binds it to a concrete type and a getter (<see cref="Bind"/>, which refuses a type that
/// disagrees), so the two schemas cannot drift apart.
/// </summary>
/// <param name="Name">Column name.</param>
/// <param name="Shape">Scalar, vector or variable-length vector.</param>
/// <param name="ItemType">The item's raw type: Single, or UInt32 for a key.</param>
/// <param name="IsKey">The items are keys (a predicted label or tag).</param>
/// <param name="LabelNames">The column carries the task's label names: as KeyValues on a key column, as SlotNames on a vector.</param>
internal sealed record OutputSpec(string Name, OutputShape Shape, PrimitiveDataViewType ItemType, bool IsKey = false, bool LabelNames = false)
{
    /// <summary>The estimator's view; <paramref name="labelNamesType"/> is the item type of the label names, null when there are none.</summary>
    public SchemaShape.Column ToShape(DataViewType? labelNamesType)
    {
        var annotations = new List<SchemaShape.Column>();
        if (LabelNames && labelNamesType is not null)
            annotations.Add(IsKey
                ? new SchemaShape.Column(AnnotationUtils.Kinds.KeyValues, SchemaShape.Column.VectorKind.Vector, labelNamesType, false)
                : new SchemaShape.Column(AnnotationUtils.Kinds.SlotNames, SchemaShape.Column.VectorKind.Vector, TextDataViewType.Instance, false));
        return new SchemaShape.Column(Name, Kind, ItemType, IsKey, new SchemaShape(annotations));
    }

    /// <summary>
    /// The scorer's column: <paramref name="type"/> must be this declaration's shape and item type; <paramref name="labelNames"/>
    /// become its annotations when the declaration carries label names; <paramref name="read"/> reads a row's value from its result.
    /// </summary>
    /// <exception cref="InvalidOperationException">The type disagrees with the declaration (a bug in the task).</exception>
    public OutputColumn<TResult> Bind<TResult, TValue>(DataViewType type, KeyValueNames? labelNames, ValueMapper<TResult, TValue> read)
    {
        var item = type is VectorDataViewType v ? v.ItemType : type;
        var kind = type switch
        {
            VectorDataViewType { IsKnownSize: true } => SchemaShape.Column.VectorKind.Vector,
            VectorDataViewType => SchemaShape.Column.VectorKind.VariableVector,
            _ => SchemaShape.Column.VectorKind.Scalar,
        };
        if (kind != Kind || (item is KeyDataViewType) != IsKey || item.RawType != ItemType.RawType)
            throw new InvalidOperationException($"Output column '{Name}' is declared as {Kind} of {ItemType}{(IsKey ? " key" : "")} but bound to {type}.");
        var annotations = new DataViewSchema.Annotations.Builder();
        if (LabelNames && labelNames is not null)
        {
            if (IsKey) labelNames.AddTo(annotations);
            else labelNames.AddSlotNames(annotations);
        }
        return new OutputColumn<TResult>.Typed<TValue>(Name, type, annotations.ToAnnotations(), read);
    }

    private SchemaShape.Column.VectorKind Kind => Shape switch
    {
        OutputShape.Vector => SchemaShape.Column.VectorKind.Vector,
        OutputShape.VariableVector => SchemaShape.Column.VectorKind.VariableVector,
        _ => SchemaShape.Column.VectorKind.Scalar,
    };
}

/// <summary>An <see cref="OutputSpec"/> bound for scoring: name, concrete type, annotations and how to read its value from a row's result.</summary>
internal abstract class OutputColumn<TResult>
{
    private OutputColumn(string name, DataViewType type, DataViewSchema.Annotations annotations)
    {
        Name = name;
        Type = type;
        Annotations = annotations;
    }

    public string Name { get; }
    public DataViewType Type { get; }
    public DataViewSchema.Annotations Annotations { get; }

    /// <summary>A getter for this column; <paramref name="current"/> returns the current row's result.</summary>
    public abstract Delegate MakeGetter(Func<TResult> current);

    internal sealed class Typed<TValue>(string name, DataViewType type, DataViewSchema.Annotations annotations, ValueMapper<TResult, TValue> read)
        : OutputColumn<TResult>(name, type, annotations)
    {
        public override Delegate MakeGetter(Func<TResult> current) => (ValueGetter<TValue>)((ref TValue value) =>
        {
            var row = current();
            read(in row, ref value);
        });
    }
}
