using System.Text;

namespace SentimentAnalyst.Backtest;

/// <summary>
/// Reads a comma-separated file with a header line, record by record, keeping each record's line number for error
/// messages. Quoted fields may hold commas, doubled quotes and line breaks (RFC 4180).
/// </summary>
public sealed class CsvRecords
{
    private readonly string path;
    private readonly string[] header;

    private CsvRecords(string path, string[] header)
    {
        this.path = path;
        this.header = header;
    }

    /// <summary>The file's name, for messages.</summary>
    public string FileName => Path.GetFileName(path);

    /// <summary>Opens <paramref name="path"/> and reads its header line.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is empty or its first line is.</exception>
    public static CsvRecords Open(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found.", path);
        using var reader = new StreamReader(path);
        int line = 0;
        var header = ReadRecord(reader, ref line, path);
        if (header is null || header.All(string.IsNullOrWhiteSpace))
            throw new InvalidDataException($"{path}: the first line is empty; expected a header line naming the columns.");
        return new CsvRecords(path, header.Select(h => h.Trim()).ToArray());
    }

    /// <summary>The index of the column named <paramref name="name"/> (case-insensitive).</summary>
    /// <exception cref="InvalidDataException">No such column; the message lists the header.</exception>
    public int Column(string name)
    {
        int index = Array.FindIndex(header, h => string.Equals(h, name, StringComparison.OrdinalIgnoreCase));
        if (index < 0)
            throw new InvalidDataException($"{path}: no column '{name}' in the header (columns: {string.Join(", ", header.Select(h => $"'{h}'"))}).");
        return index;
    }

    /// <summary>The data records after the header, each with the line it starts on (1-based; the header is line 1).</summary>
    /// <exception cref="InvalidDataException">A record has a different number of fields than the header, or a quote is never closed.</exception>
    public IEnumerable<(int Line, string[] Fields)> Records()
    {
        using var reader = new StreamReader(path);
        int line = 0;
        ReadRecord(reader, ref line, path);
        while (true)
        {
            int start = line + 1;
            var fields = ReadRecord(reader, ref line, path);
            if (fields is null) yield break;
            if (fields.Length == 1 && fields[0].Length == 0) continue;   // a blank line
            if (fields.Length != header.Length)
                throw new InvalidDataException($"{path} line {start}: {fields.Length} fields; expected {header.Length} like the header ({string.Join(",", header)}).");
            yield return (start, fields);
        }
    }

    /// <summary>Reads one record (which may span lines inside quotes); null at the end of the file.</summary>
    private static string[]? ReadRecord(TextReader reader, ref int line, string path)
    {
        var text = reader.ReadLine();
        if (text is null) return null;
        line++;
        int start = line;
        var fields = new List<string>();
        var field = new StringBuilder();
        bool quoted = false;
        for (int i = 0; ; i++)
        {
            if (i == text.Length)
            {
                if (!quoted) break;
                // A line break inside quotes belongs to the field.
                text = reader.ReadLine() ?? throw new InvalidDataException($"{path} line {start}: a quoted field is never closed.");
                line++;
                field.Append('\n');
                i = -1;
                continue;
            }
            char c = text[i];
            if (quoted)
            {
                if (c != '"') field.Append(c);
                else if (i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i++; }
                else quoted = false;
            }
            else if (c == '"' && field.Length == 0) quoted = true;
            else if (c == ',') { fields.Add(field.ToString()); field.Clear(); }
            else field.Append(c);
        }
        fields.Add(field.ToString());
        return fields.ToArray();
    }
}
