using System.Text.RegularExpressions;

namespace Microsoft.ML.Lora.Tests;

/// <summary>
/// The README's code blocks are run by tests: a test holds the code between two marker lines, and this checks that the
/// first <c>```csharp</c> block of a README section is that code (blank lines, indentation and using directives aside).
/// </summary>
internal static class ReadmeSnippet
{
    /// <summary>The snippet between <paramref name="begin"/> and <paramref name="end"/> of <paramref name="testFile"/> and the README's block under <paramref name="section"/>, normalised.</summary>
    public static (string InTest, string InReadme) Read(string testFile, string begin, string end, string section)
    {
        static string Normalize(IEnumerable<string> lines) => string.Join("\n", lines.Select(l => l.Trim()).Where(l => l.Length > 0));
        var source = File.ReadAllLines(Path.Combine(TestData.RepoRoot, "test", "Microsoft.ML.Lora.Tests", testFile));
        int first = Array.FindIndex(source, l => l.Trim() == begin), last = Array.FindIndex(source, l => l.Trim() == end);
        if (first < 0 || last < first) throw new InvalidDataException($"{testFile} has no '{begin}' … '{end}' region.");
        var readme = File.ReadAllLines(Path.Combine(TestData.RepoRoot, "README.md"));
        int heading = Array.IndexOf(readme, section);
        if (heading < 0) throw new InvalidDataException($"README.md has no '{section}' section.");
        int open = Array.IndexOf(readme, "```csharp", heading), close = open < 0 ? -1 : Array.IndexOf(readme, "```", open + 1);
        if (close < 0) throw new InvalidDataException($"README.md has no ```csharp block under '{section}'.");
        var block = readme[(open + 1)..close].Where(l => !Regex.IsMatch(l, @"^using [\w.]+;"));   // directives sit atop the test file
        return (Normalize(source[(first + 1)..last]), Normalize(block));
    }
}
