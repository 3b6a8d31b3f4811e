using Microsoft.ML.Data;

namespace Microsoft.ML.Lora.Pipeline;

/// <summary>Schema checks with messages that name the column, its role, its actual type and what was expected.</summary>
internal static class ColumnChecks
{
    public static DataViewSchema.Column Require(DataViewSchema schema, string name, string role)
    {
        if (string.IsNullOrEmpty(name)) throw new ArgumentException($"The {role} column name is empty.");
        return schema.GetColumnOrNull(name)
            ?? throw new ArgumentOutOfRangeException(name, $"{role} column '{name}' not found in the data (columns: {string.Join(", ", schema.Where(c => !c.IsHidden).Select(c => c.Name))}).");
    }

    public static DataViewSchema.Column RequireText(DataViewSchema schema, string name, string role)
    {
        var c = Require(schema, name, role);
        if (c.Type is not TextDataViewType)
            throw new ArgumentOutOfRangeException(name, $"{role} column '{name}' has type {c.Type}; expected String (text).");
        return c;
    }

    public static (DataViewSchema.Column Column, KeyDataViewType Type) RequireKey(DataViewSchema schema, string name, string role)
    {
        var c = Require(schema, name, role);
        if (c.Type is not KeyDataViewType key || key.RawType != typeof(uint))
            throw new ArgumentOutOfRangeException(name, $"{role} column '{name}' has type {c.Type}; expected a key type (UInt32 key). Convert it first, e.g. mlContext.Transforms.Conversion.MapValueToKey(\"{name}\").");
        if (key.Count < 2 || key.Count > 100_000)
            throw new ArgumentOutOfRangeException(name, $"{role} column '{name}' has {key.Count} key values; expected between 2 and 100000 classes.");
        return (c, key);
    }

    /// <summary>The same check on an estimator's <see cref="SchemaShape"/>.</summary>
    public static SchemaShape.Column RequireShape(SchemaShape schema, string name, string role, Func<SchemaShape.Column, bool> ok, string expected)
    {
        if (!schema.TryFindColumn(name, out var c))
            throw new ArgumentOutOfRangeException(name, $"{role} column '{name}' not found in the input schema.");
        if (!ok(c)) throw new ArgumentOutOfRangeException(name, $"{role} column '{name}' has type {c.ItemType}{(c.Kind == SchemaShape.Column.VectorKind.Scalar ? "" : " vector")}{(c.IsKey ? " key" : "")}; expected {expected}.");
        return c;
    }
}

/// <summary>ML.NET keeps <c>SchemaShape.Create</c> internal; tests and samples reach it here.</summary>
internal static class SchemaShapes
{
    public static SchemaShape From(DataViewSchema schema) => SchemaShape.Create(schema);
}
