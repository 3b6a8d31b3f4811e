using System.Runtime.InteropServices;

namespace Microsoft.ML.Lora.Bench;

/// <summary>Linux/glibc views of this process's memory: bytes malloc has handed out, and the resident high-water mark.</summary>
internal static class NativeMemory
{
    [StructLayout(LayoutKind.Sequential)]
    private struct MallInfo2
    {
        public nuint Arena, OrdBlks, SmBlks, HBlks, HBlkHd, UsmBlks, FsmBlks, UordBlks, FordBlks, KeepCost;
    }

    [DllImport("libc", EntryPoint = "mallinfo2")]
    private static extern MallInfo2 MallInfo();

    /// <summary>Bytes currently allocated through malloc (heap and mmapped chunks): every live tensor's memory on the CPU.</summary>
    public static long AllocatedBytes()
    {
        var m = MallInfo();
        return (long)(m.UordBlks + m.HBlkHd);
    }

    /// <summary>Restarts the resident high-water mark (VmHWM) from the current resident size.</summary>
    public static void ResetPeak() => File.WriteAllText("/proc/self/clear_refs", "5");
}
