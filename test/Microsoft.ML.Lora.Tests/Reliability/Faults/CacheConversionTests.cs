using Microsoft.ML.Lora.Checkpoints;
using Xunit;

namespace Microsoft.ML.Lora.Tests.Reliability.Faults;

/// <summary>The embedded MiniLM's conversion into the cache, by processes that race and processes that are killed.</summary>
public class CacheConversionTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(5);

    private static Dictionary<string, string> Cache(string root) => new() { ["LORA_CACHE"] = root };

    // What the cache root holds, less the content-hash memo (a finished one-line file written atomically beside the folder).
    private static string[] Entries(string root) => Directory.GetFileSystemEntries(root).Where(e => !e.EndsWith(".hash", StringComparison.Ordinal)).ToArray();

    [Fact]
    public void TwoProcessesConvertingAtOnceBothSucceedWithOneFolder()
    {
        using var temp = new TempFolder();
        using var a = new KillableChild(Cache(temp.Path), "convert-cache", temp.Path);
        using var b = new KillableChild(Cache(temp.Path), "convert-cache", temp.Path);
        Assert.True(a.WaitForExit(Patience) == 0, a.Output);
        Assert.True(b.WaitForExit(Patience) == 0, b.Output);
        Assert.Equal(a.Value("folder"), b.Value("folder"));
        Assert.Equal("30522", a.Value("vocab_lines"));
        Assert.Equal("30522", b.Value("vocab_lines"));
        Assert.True(EmbeddedMiniLm.IsComplete(a.Value("folder")!));
        Assert.Equal(new[] { a.Value("folder") }, Entries(temp.Path));   // no staging folder left
    }

    [Fact]
    public void AProcessKilledMidConversionLeavesNothingHalfWrittenAndTheOthersProceed()
    {
        using var temp = new TempFolder();
        string StagingOrNull() => Directory.GetDirectories(temp.Path, ".*.tmp").FirstOrDefault() ?? "";
        using var victim = new KillableChild(Cache(temp.Path), "convert-cache", temp.Path);
        victim.WaitUntil(() => StagingOrNull() != "", Patience, "its staging folder");
        using var second = new KillableChild(Cache(temp.Path), "convert-cache", temp.Path);   // starts while the first is converting
        Thread.Sleep(new Random(3).Next(100, 1500));
        victim.Kill();
        Assert.Null(victim.Value("folder"));

        Assert.True(second.WaitForExit(Patience) == 0, second.Output);
        var folder = second.Value("folder")!;
        Assert.True(EmbeddedMiniLm.IsComplete(folder));
        Assert.Equal("30522", second.Value("vocab_lines"));

        // The next run reuses the folder without converting, and clears the killed process's staging folder.
        using var third = new KillableChild(Cache(temp.Path), "convert-cache", temp.Path);
        Assert.True(third.WaitForExit(Patience) == 0, third.Output);
        Assert.Equal(folder, third.Value("folder"));
        Assert.DoesNotContain(third.Lines, l => l.Contains("Converting", StringComparison.Ordinal));
        Assert.Equal(new[] { folder }, Entries(temp.Path));
    }
}
