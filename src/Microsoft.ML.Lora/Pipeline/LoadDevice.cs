using Microsoft.ML.Lora.Native;
using Microsoft.ML.Runtime;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Pipeline;

/// <summary>The device a model loaded from a .zip runs on: CUDA when available (honouring MLContext.GpuDeviceId), else the CPU.</summary>
internal static class LoadDevice
{
    public static Device For(IHostEnvironment env)
    {
        var settings = env as IHostEnvironmentInternal;
        return DeviceSelector.Select(ComputeDevice.Auto, settings?.GpuDeviceId, fallbackToCpu: true);
    }

    /// <summary>The device <paramref name="options"/> ask for (Fit and imports): their preference, the MLContext's GPU id and fallback.</summary>
    public static Device For(IHostEnvironment env, FineTuningOptions options, Action<string>? log)
    {
        var settings = env as IHostEnvironmentInternal;
        return DeviceSelector.Select(options.Device, settings?.GpuDeviceId, options.FallbackToCpu ?? settings?.FallbackToCpu ?? true, log);
    }
}
