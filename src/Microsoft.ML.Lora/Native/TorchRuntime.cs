using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Native;

/// <summary>Process-wide native settings: intra-op threads and the C heap.</summary>
internal static class TorchRuntime
{
    private static readonly object Gate = new();

    /// <summary>
    /// Sets libtorch's intra-op thread count (null = one per core). Process-wide, like <c>torch.set_num_threads</c>;
    /// only changed when it differs, because libtorch rebuilds its pool on every change.
    /// </summary>
    public static void ConfigureThreads(int? threads)
    {
        int n = threads ?? Environment.ProcessorCount;
        if (n < 1) throw new ArgumentOutOfRangeException(nameof(threads), threads, "Thread count must be at least 1.");
        TorchNativeLibrary.EnsureLoaded();
        lock (Gate)
            if (get_num_threads() != n) set_num_threads(n);
    }

    /// <summary>
    /// Hands freed C-heap memory back to the OS. A training loop allocates activation buffers of a different size every
    /// step (dynamic padding); glibc keeps those freed chunks in its arenas, so resident memory creeps up by megabytes per
    /// step although no tensor is alive. <c>malloc_trim</c> releases them; it costs about a millisecond. No-op off glibc.
    /// </summary>
    public static void ReleaseFreedMemory()
    {
        if (!OperatingSystem.IsLinux() || trimUnavailable || DisabledByEnvironment) return;
        try { _ = malloc_trim(0); }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException) { trimUnavailable = true; }
    }

    /// <summary>How far resident memory may grow above its lowest level since the last trim before the next one.</summary>
    internal const long TrimMarginBytes = 128L << 20;

    /// <summary>The lowest resident size seen since the last trim (long.MaxValue before the first).</summary>
    private static long residentFloor = long.MaxValue;

    /// <summary>
    /// <see cref="ReleaseFreedMemory"/> once resident memory has grown <see cref="TrimMarginBytes"/> above its lowest level
    /// since the last trim. Trimming after every step handed back memory that the next step faulted in again page by page
    /// (the kernel zeroing each one): on the NER sample, whose batches change shape every step, that was a third of the
    /// training time. Between trims glibc reuses the freed chunks, and the creep that trimming is for stays within the margin.
    /// </summary>
    public static void ReleaseFreedMemoryIfGrown()
    {
        long now = ResidentBytes();
        long floor = Interlocked.Read(ref residentFloor);
        if (now < floor) Interlocked.CompareExchange(ref residentFloor, now, floor);
        if (!ShouldTrim(floor, now)) return;
        ReleaseFreedMemory();
        Interlocked.Exchange(ref residentFloor, ResidentBytes());
    }

    /// <summary>Whether resident memory <paramref name="now"/> is <see cref="TrimMarginBytes"/> above <paramref name="floor"/> (none before a floor is known).</summary>
    internal static bool ShouldTrim(long floor, long now) => floor != long.MaxValue && now - floor >= TrimMarginBytes;

    /// <summary>
    /// Frees native objects that only a finalizer releases. TorchSharp makes a native Scalar for every implicit number (each
    /// <c>add</c> without an alpha, an optimizer's betas: hundreds per training step) and frees it in the finalizer, and a
    /// tensor-heavy loop, whose memory is native, rarely triggers a collection. Scattered through the C heap, those small
    /// blocks keep freed activation memory from coalescing: resident memory grew by tens of MiB per step. A gen-1 collection
    /// after each step costs about a millisecond.
    /// </summary>
    public static void CollectNativeGarbage()
    {
        GC.Collect(1, GCCollectionMode.Forced, blocking: true);
        GC.WaitForPendingFinalizers();
    }

    /// <summary>Tokens scored since scoring last ran <see cref="CollectNativeGarbage"/> and <see cref="ReleaseFreedMemory"/>.</summary>
    private static long tokensSinceCleanup;

    /// <summary>How many scored tokens (a few batches) between two clean-ups: a few milliseconds against seconds of work.</summary>
    internal const long TokensPerCleanup = 8192;

    /// <summary>
    /// Called after each batch scored outside a training step (Transform, validation): every <see cref="TokensPerCleanup"/>
    /// tokens, across calls and threads, it runs <see cref="CollectNativeGarbage"/> and <see cref="ReleaseFreedMemoryIfGrown"/>, as
    /// training does after its steps. Without it scoring the 3,342 rows of the sentiment sample's calibration and test sets
    /// grew resident memory by about 700 MiB (finalizer-freed Scalars fragmenting the heap, freed chunks never returned).
    /// </summary>
    public static void AfterScoringBatch(long tokens)
    {
        if (Interlocked.Add(ref tokensSinceCleanup, tokens) < TokensPerCleanup) return;
        Interlocked.Exchange(ref tokensSinceCleanup, 0);
        CollectNativeGarbage();
        ReleaseFreedMemoryIfGrown();
    }

    /// <summary>Resident set size of this process in bytes (Linux /proc; elsewhere the working set).</summary>
    public static long ResidentBytes()
    {
        if (OperatingSystem.IsLinux())
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        }
        return Environment.WorkingSet;
    }

    /// <summary>Peak resident set size of this process in bytes (Linux VmHWM; elsewhere the peak working set).</summary>
    public static long PeakResidentBytes()
    {
        if (OperatingSystem.IsLinux())
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        }
        return System.Diagnostics.Process.GetCurrentProcess().PeakWorkingSet64;
    }

    private static bool trimUnavailable;

    // Diagnostic switch to reproduce the growth this prevents (bench/RESULTS.md): LORA_DISABLE_MALLOC_TRIM=1.
    private static readonly bool DisabledByEnvironment = Environment.GetEnvironmentVariable("LORA_DISABLE_MALLOC_TRIM") == "1";

    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int malloc_trim(nuint pad);
}
