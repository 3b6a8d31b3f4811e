using Microsoft.ML.Runtime;

namespace Microsoft.ML.Lora.Pipeline;

/// <summary>Checks on the data a Fit is given, made before anything that would fail with a less telling message.</summary>
internal static class DataChecks
{
    /// <summary>
    /// An empty data view is reported as such: otherwise the first symptom is a label column whose <c>MapValueToKey</c> saw
    /// no values ("has 1 key values").
    /// </summary>
    /// <exception cref="InvalidOperationException">The data has no rows.</exception>
    public static void RequireRows(IDataView data, string what)
    {
        if (data.GetRowCount() is > 0) return;
        using var cursor = data.GetRowCursor(Array.Empty<DataViewSchema.Column>());
        if (!cursor.MoveNext())
            throw new InvalidOperationException($"The {what} has no rows: fine-tuning needs labelled examples.");
    }

    /// <summary>Warns about classes that no row of the data has: the model can then never learn to predict them.</summary>
    public static void WarnAboutEmptyClasses(IEnumerable<int> labels, int classes, IReadOnlyList<string>? names, string what, IChannel ch)
    {
        var seen = new bool[classes];
        foreach (int l in labels)
            if (l >= 0 && l < classes) seen[l] = true;
        var empty = Enumerable.Range(0, classes).Where(c => !seen[c]).ToList();
        if (empty.Count == 0) return;
        string Name(int c) => names is not null && c < names.Count ? $"'{names[c]}' (key {c + 1})" : $"key {c + 1}";
        ch.Warning($"{empty.Count} of {classes} class(es) have no rows in the {what}: {string.Join(", ", empty.Take(10).Select(Name))}"
            + (empty.Count > 10 ? ", ..." : "") + ". The model cannot learn to predict them.");
    }
}
