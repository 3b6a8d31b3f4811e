using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Native;

/// <summary>Turns a <see cref="ComputeDevice"/> preference into a TorchSharp device.</summary>
internal static class DeviceSelector
{
    /// <summary>
    /// Picks the device. <paramref name="gpuDeviceId"/> is ML.NET's <c>MLContext.GpuDeviceId</c>. When CUDA is asked for
    /// but unavailable, falls back to the CPU with a log line if <paramref name="fallbackToCpu"/>, else throws.
    /// </summary>
    /// <exception cref="InvalidOperationException">CUDA requested, not available, and no fallback allowed.</exception>
    public static Device Select(ComputeDevice preference, int? gpuDeviceId, bool fallbackToCpu, Action<string>? log = null)
    {
        TorchNativeLibrary.EnsureLoaded();   // the first TorchSharp call of Fit, Model.Load and a PEFT import: a load failure names its cause here
        if (preference == ComputeDevice.Cpu) return CPU;
        bool hasCuda = CudaAvailable();
        if (hasCuda)
        {
            int count = cuda.device_count();
            int id = gpuDeviceId ?? 0;
            if (id < 0 || id >= count)
                throw new ArgumentOutOfRangeException(nameof(gpuDeviceId), id, $"GPU device id {id} does not exist: {count} CUDA device(s) available.");
            return new Device(TorchSharp.DeviceType.CUDA, id);
        }
        if (preference == ComputeDevice.Cuda && !fallbackToCpu)
            throw new InvalidOperationException("CUDA was requested but TorchSharp reports no CUDA device. Reference the CUDA backend (build with -p:TorchBackend=cuda) on a machine with an NVIDIA GPU, or allow FallbackToCpu.");
        if (preference == ComputeDevice.Cuda || gpuDeviceId is not null)
            log?.Invoke("CUDA is not available (CPU backend referenced or no GPU): running on the CPU.");
        return CPU;
    }

    private static bool CudaAvailable()
    {
        try { return cuda.is_available(); }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or TypeInitializationException) { return false; }
    }
}
