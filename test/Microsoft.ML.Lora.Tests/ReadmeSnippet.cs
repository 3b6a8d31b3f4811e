using Xunit;

namespace Microsoft.ML.Lora.Tests;

/// <summary>Checks that a README section's first C# block is the region of a test file that the test runs.</summary>
internal static class ReadmeSnippet
{
    /// <param name="testFile">The test file, relative to the repository root.</param>
    /// <param name="section">The README heading line, e.g. "## ONNX export".</param>
    /// <param name="begin">The comment line that opens the region in the test file.</param>
    /// <param name="end">The comment line that closes it.</param>
    public static void AssertShown(string testFile, string section, string begin, string end)
    {
        static string Normalize(IEnumerable<string> lines) => string.Join("\n", lines.Select(l => l.Trim()).Where(l => l.Length > 0));
        var source = File.ReadAllLines(Path.Combine(TestData.RepoRoot, testFile));
        int first = Array.FindIndex(source, l => l.Trim() == begin), last = Array.FindIndex(source, l => l.Trim() == end);
        Assert.True(first >= 0 && last > first, $"{testFile} has no '{begin}' … '{end}' region");
        var readme = File.ReadAllLines(Path.Combine(TestData.RepoRoot, "README.md"));
        int heading = Array.IndexOf(readme, section);
        Assert.True(heading >= 0, $"README.md has no '{section}' section");
        int open = Array.IndexOf(readme, "```csharp", heading), close = Array.IndexOf(readme, "```", open + 1);
        var block = readme[(open + 1)..close].Where(l => !System.Text.RegularExpressions.Regex.IsMatch(l, @"^using [\w.]+;"));   // directives sit atop the test file
        Assert.Equal(Normalize(source[(first + 1)..last]), Normalize(block));
    }
}
