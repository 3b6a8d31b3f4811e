namespace Microsoft.ML.Lora.Tests.Readme;

/// <summary>
/// One <c>```csharp</c> block of the repository's README.md, read from the file itself: its text, the section heading it
/// sits under and the README line of its first code line (compiler messages point there).
/// </summary>
public sealed record ReadmeSnippet(string Section, string Code, int FirstLine)
{
    /// <summary>The README this class reads.</summary>
    public static string ReadmePath => Path.Combine(TestData.RepoRoot, "README.md");

    /// <summary>Every C# block of README.md, in order.</summary>
    public static IReadOnlyList<ReadmeSnippet> All()
    {
        var lines = File.ReadAllLines(ReadmePath);
        var snippets = new List<ReadmeSnippet>();
        string section = "(top)";
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].Trim();
            if (line.StartsWith("```", StringComparison.Ordinal))
            {
                int close = Array.FindIndex(lines, i + 1, l => l.Trim() == "```");
                if (close < 0) throw new InvalidDataException($"{ReadmePath}:{i + 1}: a {line} block is never closed.");
                if (line == "```csharp") snippets.Add(new ReadmeSnippet(section, string.Join("\n", lines[(i + 1)..close]), i + 2));
                i = close;   // a '#' inside a block is code, not a heading
            }
            else if (line.StartsWith('#')) section = line.TrimStart('#').Trim();
        }
        return snippets;
    }

    /// <summary>The one C# block under the heading <paramref name="section"/> (its text without the leading #s).</summary>
    public static ReadmeSnippet In(string section)
    {
        var found = All().Where(s => s.Section == section).ToList();
        if (found.Count != 1)
            throw new InvalidDataException($"{ReadmePath}: expected one ```csharp block under '{section}', found {found.Count}. Sections with C#: {string.Join(", ", All().Select(s => $"'{s.Section}'").Distinct())}.");
        return found[0];
    }
}
