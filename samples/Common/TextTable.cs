namespace Samples.Common;

/// <summary>A plain-text table with aligned columns (first column left-aligned, the others right-aligned), for metrics.</summary>
public sealed class TextTable(params string[] headers)
{
    private readonly List<string[]> rows = new();

    /// <summary>Adds a row; it must have one cell per header.</summary>
    public TextTable Add(params string[] cells)
    {
        if (cells.Length != headers.Length) throw new ArgumentException($"Expected {headers.Length} cells, got {cells.Length}.", nameof(cells));
        rows.Add(cells);
        return this;
    }

    /// <summary>Writes the table, indented by <paramref name="indent"/> spaces.</summary>
    public void WriteTo(TextWriter output, int indent = 2)
    {
        var widths = headers.Select((h, i) => rows.Select(r => r[i].Length).Append(h.Length).Max()).ToArray();
        string Line(string[] cells) => new string(' ', indent)
            + string.Join("  ", cells.Select((c, i) => i == 0 ? c.PadRight(widths[i]) : c.PadLeft(widths[i]))).TrimEnd();
        output.WriteLine(Line(headers));
        output.WriteLine(new string(' ', indent) + new string('-', widths.Sum() + 2 * (widths.Length - 1)));
        foreach (var r in rows) output.WriteLine(Line(r));
    }
}
