using System.Text;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace SentimentAnalyst;

/// <summary>
/// Reads a CSV or TSV file with a header line into <see cref="LabelledText"/> rows. The separator comes from the extension
/// (.csv, .tsv/.tab) or, failing that, from the header line. Quoted fields may contain separators, doubled quotes and line
/// breaks (ML.NET's <see cref="TextLoader"/> with <c>AllowQuoting</c> and <c>ReadMultilines</c>).
/// </summary>
public static class LabelledTextFile
{
    /// <summary>Reads <paramref name="path"/>, taking the text and the label from the columns named in its header.</summary>
    /// <exception cref="InvalidDataException">No header, an unknown separator, a missing column, no rows or an empty label.</exception>
    public static List<LabelledText> Read(MLContext mlContext, string path, string textColumn, string labelColumn)
    {
        var header = File.ReadLines(path).FirstOrDefault();
        if (string.IsNullOrWhiteSpace(header))
            throw new InvalidDataException($"{path}: the first line is empty; expected a header line naming the columns.");
        char separator = Separator(path, header);
        var names = SplitHeader(header, separator);
        int textIndex = ColumnIndex(path, names, textColumn, "--text-column");
        int labelIndex = ColumnIndex(path, names, labelColumn, "--label-column");

        var loader = mlContext.Data.CreateTextLoader(new TextLoader.Options
        {
            Separators = [separator], HasHeader = true, AllowQuoting = true, ReadMultilines = true, TrimWhitespace = false,
            Columns =
            [
                new TextLoader.Column(nameof(LabelledText.Text), DataKind.String, textIndex),
                new TextLoader.Column(nameof(LabelledText.Label), DataKind.String, labelIndex),
            ],
        });
        var rows = mlContext.Data.CreateEnumerable<LabelledText>(loader.Load(path), reuseRowObject: false).ToList();
        if (rows.Count == 0) throw new InvalidDataException($"{path}: no data rows after the header.");
        for (int i = 0; i < rows.Count; i++)
        {
            rows[i].Label = rows[i].Label.Trim();
            if (rows[i].Label.Length == 0)
                throw new InvalidDataException($"{path}: data row {i + 1} has an empty label in column '{labelColumn}'.");
        }
        return rows;
    }

    private static char Separator(string path, string header)
    {
        switch (Path.GetExtension(path).ToLowerInvariant())
        {
            case ".csv": return ',';
            case ".tsv" or ".tab": return '\t';
        }
        foreach (char candidate in "\t,;|")
            if (header.Contains(candidate)) return candidate;
        throw new InvalidDataException($"{path}: cannot tell the separator: the header line has no tab, comma, semicolon or bar. Expected a CSV or TSV file with a header.");
    }

    // The header is one line; its fields may be quoted ("text","label") with doubled quotes inside.
    private static List<string> SplitHeader(string header, char separator)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < header.Length; i++)
        {
            char c = header[i];
            if (quoted)
            {
                if (c != '"') field.Append(c);
                else if (i + 1 < header.Length && header[i + 1] == '"') { field.Append('"'); i++; }
                else quoted = false;
            }
            else if (c == '"') quoted = true;
            else if (c == separator) { fields.Add(field.ToString().Trim()); field.Clear(); }
            else field.Append(c);
        }
        fields.Add(field.ToString().Trim());
        return fields;
    }

    private static int ColumnIndex(string path, List<string> names, string wanted, string option)
    {
        int index = names.FindIndex(n => string.Equals(n, wanted, StringComparison.Ordinal));
        if (index < 0) index = names.FindIndex(n => string.Equals(n, wanted, StringComparison.OrdinalIgnoreCase));
        if (index < 0)
            throw new InvalidDataException($"{path}: no column '{wanted}' in the header (columns: {string.Join(", ", names.Select(n => $"'{n}'"))}); choose one with {option}.");
        return index;
    }
}
