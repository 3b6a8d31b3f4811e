using Xunit;

namespace Microsoft.ML.Lora.Tests.Readme;

/// <summary>The snippet compiler itself: errors point at README lines; continued snippets join as a user pastes them.</summary>
public class SnippetProgramTests
{
    [Fact]
    public void ACompileErrorNamesTheReadmeLine()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => SnippetProgram.Run([new ReadmeSnippet("Broken", "var a = 1;\nvar b = a + missing;", 40)], Path.GetTempPath()));
        Assert.Contains("README.md(41,", ex.Message);
        Assert.Contains("CS0103", ex.Message);
    }

    [Fact]
    public void AWarningFailsTooAndAContinuationSeesTheEarlierVariablesAndTypes()
    {
        var warning = Assert.Throws<InvalidOperationException>(() => SnippetProgram.Run([new ReadmeSnippet("Nullable", "string s = null;\nConsole.WriteLine(s);", 10)], Path.GetTempPath()));
        Assert.Contains("CS8600", warning.Message);

        var first = new ReadmeSnippet("First", "using System.Text;\n\nvar sb = new StringBuilder(\"a\");\n\nrecord Item(int N);", 1);
        var second = new ReadmeSnippet("Second", "using System.Text;\nsb.Append(new Item(2).N);\nConsole.Write(sb);\nclass Other { }", 20);
        Assert.Equal("a2", SnippetProgram.Run([first, second], Path.GetTempPath()).Output);
    }
}
