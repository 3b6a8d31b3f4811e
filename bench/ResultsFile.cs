using System.Text;

namespace Microsoft.ML.Lora.Bench;

/// <summary>Prints a table and stores it in bench/RESULTS.md under its own heading (replacing the previous run of that command).</summary>
internal sealed class ResultTable(string title, params string[] columns)
{
    private readonly List<string[]> rows = new();
    private readonly List<string> notes = new();

    public void Add(params object[] cells) => rows.Add(cells.Select(c => c switch
    {
        double d => d.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture),
        float f => f.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture),
        _ => c?.ToString() ?? "",
    }).ToArray());

    public void Note(string line) => notes.Add(line);

    public string ToMarkdown()
    {
        var sb = new StringBuilder();
        sb.AppendLine("| " + string.Join(" | ", columns) + " |");
        sb.AppendLine("|" + string.Concat(columns.Select(_ => "---|")));
        foreach (var r in rows) sb.AppendLine("| " + string.Join(" | ", r) + " |");
        foreach (var n in notes) sb.AppendLine().AppendLine(n);
        return sb.ToString();
    }

    public void Print()
    {
        var widths = columns.Select((c, i) => Math.Max(c.Length, rows.Count == 0 ? 0 : rows.Max(r => i < r.Length ? r[i].Length : 0))).ToArray();
        Console.WriteLine();
        Console.WriteLine(title);
        Console.WriteLine(string.Join("  ", columns.Select((c, i) => c.PadRight(widths[i]))));
        Console.WriteLine(string.Join("  ", widths.Select(w => new string('-', w))));
        foreach (var r in rows) Console.WriteLine(string.Join("  ", r.Select((c, i) => c.PadRight(widths[i]))));
        foreach (var n in notes) Console.WriteLine(n);
    }

    /// <summary>Replaces the section "## {title}" of RESULTS.md (or appends it), with machine, date and command.</summary>
    public void Record(string command)
    {
        Print();
        var path = BenchEnvironment.ResultsFile;
        var text = File.Exists(path) ? File.ReadAllText(path) : "# Benchmark results\n\nEach section is written by `dotnet run -c Release --project bench -- <command>`; numbers are from the machine and date it names.\n";
        var section = $"## {title}\n\n{BenchEnvironment.Today} · {BenchEnvironment.Machine()}\n\n`dotnet run -c Release --project bench -- {command}`\n\n{ToMarkdown()}\n";
        int start = text.IndexOf($"## {title}\n", StringComparison.Ordinal);
        if (start < 0) text = text.TrimEnd() + "\n\n" + section;
        else
        {
            int end = text.IndexOf("\n## ", start + 3, StringComparison.Ordinal);
            text = text[..start] + section + (end < 0 ? "" : text[(end + 1)..]);
        }
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, text);
        File.Move(tmp, path, overwrite: true);
        Console.WriteLine($"\nrecorded in {path}");
    }
}
