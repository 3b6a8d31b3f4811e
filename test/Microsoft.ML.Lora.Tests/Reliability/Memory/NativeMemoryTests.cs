using System.Globalization;
using Microsoft.ML.Lora.Tests.Reliability.Faults;
using Xunit;

namespace Microsoft.ML.Lora.Tests.Reliability.Memory;

/// <summary>
/// Resident memory of a process that loads, fits and drops models over and over (the fault harness in a child process, so
/// nothing else in the test run moves its memory). Before the fix every MiniLM model kept ~46 MiB of native memory after it
/// was gone — disposed or not — (20 loads: 512 → 1,385 MiB; 8 fits: 395 → 730 MiB). The bounds are generous (a fifth of that
/// per cycle) so a noisy machine cannot fail them; bench/RESULTS.md records the measured growth.
/// </summary>
[Trait("Category", "Memory")]
public class NativeMemoryTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(10);
    private const double BoundMiBPerCycle = 10;

    private static double[] ResidentMiB(KillableChild child, int cycles) => Enumerable.Range(0, cycles)
        .Select(i => long.Parse(child.Value($"rss{i}") ?? throw new Xunit.Sdk.XunitException($"no rss{i}= line:\n{child.Output}"), CultureInfo.InvariantCulture) / 1048576.0)
        .ToArray();

    // Growth per cycle after the first (which warms caches, thread pools and the allocator): the slope a leak shows.
    private static void AssertFlat(double[] rss, string what)
    {
        double perCycle = (rss[^1] - rss[1]) / (rss.Length - 2);
        Assert.True(perCycle < BoundMiBPerCycle,
            $"{what}: resident memory grew {perCycle:F1} MiB per cycle (bound {BoundMiBPerCycle}): {string.Join(" → ", rss.Select(r => r.ToString("F0", CultureInfo.InvariantCulture)))} MiB");
    }

    [Fact]
    public void LoadingScoringAndEndingAModelTenTimesKeepsMemoryFlat()
    {
        using var temp = new TempFolder();
        using var child = new KillableChild(null, "memory-load", temp.Path, "10", "dispose,drop");
        Assert.True(child.WaitForExit(Patience) == 0, child.Output);
        AssertFlat(ResidentMiB(child, 10), "10 loads of a MiniLM model.zip, disposed or dropped in turn");
    }

    [Fact]
    public void FittingSixModelsKeepsMemoryFlatWhetherDisposedDroppedOrCancelled()
    {
        using var child = new KillableChild(null, "memory-fit", "6", "dispose,drop,cancel");
        Assert.True(child.WaitForExit(Patience) == 0, child.Output);
        Assert.Equal("True", child.Value("cancelled2"));
        Assert.Equal("True", child.Value("cancelled5"));
        AssertFlat(ResidentMiB(child, 6), "6 MiniLM Fits, disposed, dropped or cancelled in turn");
    }

    [Fact]
    public void TwentyThousandPredictionsOnOneEngineKeepMemoryFlat()
    {
        using var temp = new TempFolder();
        var folder = TinyHuggingFaceFolder.Create(temp);
        using var child = new KillableChild(null, "memory-predict", folder, "20000");
        Assert.True(child.WaitForExit(Patience) == 0, child.Output);
        double start = long.Parse(child.Value("rss_start")!, CultureInfo.InvariantCulture) / 1048576.0;
        double end = long.Parse(child.Value("rss_end")!, CultureInfo.InvariantCulture) / 1048576.0;
        // 19,000 predictions after the first thousand: a leak of a few hundred bytes each would show.
        Assert.True(end - start < 32, $"resident memory grew {end - start:F1} MiB over 19,000 predictions ({start:F0} → {end:F0} MiB)");
    }
}
