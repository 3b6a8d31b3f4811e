using Microsoft.ML.Lora.Native;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Tests.Native;

public class TorchRuntimeTests
{
    [Fact]
    public void TorchSharpLoadsAndARealForwardBackwardAdamWStepRuns()
    {
        // On Debian 12 / Ubuntu 22.04 this works because the build patched libLibTorchSharp.so (build/TorchSharp.GlibcxxCompat.targets);
        // outside the repository the library's run-time fix does the same (Native/TorchNativeLibrary, Consumers/OutsideProjectTests).
        manual_seed(1);
        using var linear = nn.Linear(8, 3);
        var optimizer = optim.AdamW(linear.parameters(), 0.1);
        var before = linear.weight!.clone();
        using var x = randn(16, 8);
        using var y = tensor(Enumerable.Range(0, 16).Select(i => (long)(i % 3)).ToArray());
        var loss = nn.functional.cross_entropy(linear.forward(x), y);
        loss.backward();
        Assert.NotNull(linear.weight!.grad);
        optimizer.step();
        Assert.False(TensorAssert.Identical(before, linear.weight!));
        Assert.True(float.IsFinite(loss.item<float>()));
    }

    [Fact]
    public void DeviceSelectionFallsBackToCpuWithALogLineOrThrows()
    {
        Assert.Equal(DeviceType.CPU, DeviceSelector.Select(ComputeDevice.Cpu, null, fallbackToCpu: false).type);
        if (cuda.is_available()) return;   // the rest is about machines without CUDA (CI)
        var log = new List<string>();
        Assert.Equal(DeviceType.CPU, DeviceSelector.Select(ComputeDevice.Auto, null, fallbackToCpu: true, log.Add).type);
        Assert.Empty(log);   // Auto on a CPU machine is not worth a warning
        Assert.Equal(DeviceType.CPU, DeviceSelector.Select(ComputeDevice.Cuda, 0, fallbackToCpu: true, log.Add).type);
        Assert.Contains(log, l => l.Contains("CUDA is not available"));
        var ex = Assert.Throws<InvalidOperationException>(() => DeviceSelector.Select(ComputeDevice.Cuda, null, fallbackToCpu: false));
        Assert.Contains("TorchBackend=cuda", ex.Message);
    }

    [Fact]
    public void ThreadsAndMemoryHelpersWork()
    {
        int original = get_num_threads();
        TorchRuntime.ConfigureThreads(1);
        Assert.Equal(1, get_num_threads());
        TorchRuntime.ConfigureThreads(original);
        Assert.Throws<ArgumentOutOfRangeException>(() => TorchRuntime.ConfigureThreads(0));
        long rss = TorchRuntime.ResidentBytes();
        Assert.InRange(rss, 10L << 20, 64L << 30);
        // The kernel folds per-thread RSS counters into VmHWM lazily, so with other threads allocating the peak can trail the
        // current RSS by a little; it cannot trail it by much.
        long peak = TorchRuntime.PeakResidentBytes();
        Assert.True(peak >= rss - (64L << 20), $"peak {peak >> 20} MiB, resident {rss >> 20} MiB");
        TorchRuntime.ReleaseFreedMemory();   // must not throw, glibc or not
    }

    [Fact]
    public void TheHeapIsTrimmedOnlyOnceResidentMemoryGrewByTheMargin()
    {
        long floor = 1L << 30;
        Assert.False(TorchRuntime.ShouldTrim(long.MaxValue, 8L << 30));   // no floor yet: the first call only records one
        Assert.False(TorchRuntime.ShouldTrim(floor, floor));
        Assert.False(TorchRuntime.ShouldTrim(floor, floor + TorchRuntime.TrimMarginBytes - 1));
        Assert.True(TorchRuntime.ShouldTrim(floor, floor + TorchRuntime.TrimMarginBytes));
        TorchRuntime.ReleaseFreedMemoryIfGrown();   // must not throw, glibc or not
        TorchRuntime.ReleaseFreedMemoryIfGrown();
    }

    [Fact]
    public void ScoringCleansUpNativeGarbageOnceEnoughTokensWereScored()
    {
        // Other tests may add tokens concurrently; a call carrying a full quota always reaches the threshold by itself.
        int before = GC.CollectionCount(1);
        TorchRuntime.AfterScoringBatch(TorchRuntime.TokensPerCleanup);
        Assert.True(GC.CollectionCount(1) > before, "a batch of TokensPerCleanup tokens must trigger the collection that frees native Scalars");
    }
}
