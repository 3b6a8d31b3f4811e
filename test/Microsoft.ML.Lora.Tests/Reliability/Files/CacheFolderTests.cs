using Microsoft.ML.Lora.Checkpoints;
using Microsoft.ML.Lora.Tests.Reliability.Faults;
using Xunit;

namespace Microsoft.ML.Lora.Tests.Reliability.Files;

/// <summary>A model cache that is not a usable folder is named with where the path came from (not "already exists").</summary>
public class CacheFolderTests : IDisposable
{
    private readonly TempFolder temp = new();

    public void Dispose() => temp.Dispose();

    [Fact]
    public void LoraCachePointingAtAFileSaysSoAndNamesTheVariable()
    {
        var file = temp["cache-file"];
        File.WriteAllText(file, "not a folder");
        using var child = new KillableChild(new Dictionary<string, string> { ["LORA_CACHE"] = file }, "convert-cache", file);
        Assert.NotEqual(0, child.WaitForExit(TimeSpan.FromMinutes(2)));
        Assert.Contains($"The model cache '{file}' (from the LORA_CACHE environment variable) is a file; it must be a folder", child.Output);
        Assert.DoesNotContain("already exists", child.Output);
    }

    [Theory]
    [InlineData("is a file", "")]
    [InlineData("cannot be created", "sub")]
    public void ACacheArgumentThatIsAFileOrUnderAFileIsNamed(string expected, string below)
    {
        var file = temp["file"];
        File.WriteAllText(file, "x");
        var ex = Assert.Throws<InvalidOperationException>(() => EmbeddedMiniLm.EnsureHuggingFaceFolder(below == "" ? file : Path.Combine(file, below)));
        Assert.Contains("(from the cache directory argument)", ex.Message);
        Assert.Contains(expected, ex.Message);
    }
}
