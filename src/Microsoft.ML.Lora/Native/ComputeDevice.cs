namespace Microsoft.ML.Lora;

/// <summary>Where training and scoring run.</summary>
public enum ComputeDevice
{
    /// <summary>CUDA when the referenced TorchSharp backend reports a GPU, else the CPU.</summary>
    Auto,
    /// <summary>The CPU.</summary>
    Cpu,
    /// <summary>A CUDA GPU (needs the <c>TorchSharp-cuda-*</c> backend package; see the README's GPU section).</summary>
    Cuda,
}
