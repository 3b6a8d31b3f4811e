using Xunit;

namespace Microsoft.ML.Lora.Tests.Readme;

/// <summary>No C# block of README.md goes untested.</summary>
public class ReadmeCoverageTests
{
    [Fact]
    public void EveryCSharpSnippetIsRunByATest()
    {
        string[] tested = [.. ClassificationProgram.Sections, "Entity recognition", "Sentence embeddings", "Sentence similarity", "Question answering"];
        var snippets = ReadmeSnippet.All();
        var untested = snippets.Where(s => !tested.Contains(s.Section)).Select(s => $"README.md:{s.FirstLine} ('{s.Section}')").ToList();
        Assert.True(untested.Count == 0, $"C# snippets no test runs: {string.Join(", ", untested)}. Add their section to a test in test/…/Readme/.");
        Assert.Equal(tested.Order(), snippets.Select(s => s.Section).Order());   // one block per tested section
    }
}
