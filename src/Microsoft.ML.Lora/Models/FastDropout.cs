using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Models;

/// <summary>
/// Dropout whose CPU mask comes from a counter-based generator filled in parallel. libtorch's CPU generator is serial and
/// costs ~10 ms per [2048, 384] mask on this kind of machine — with BERT's five dropouts per layer that was a third of a
/// training step. Masks depend only on the seed set for the step and the order of the calls, so runs stay reproducible.
/// On CUDA libtorch's own (fast, on-device) dropout is used.
/// </summary>
internal sealed class FastDropout : nn.Module<Tensor, Tensor>
{
    private readonly double p;

    public FastDropout(double p) : base(nameof(FastDropout))
    {
        if (!(p >= 0 && p < 1)) throw new ArgumentOutOfRangeException(nameof(p), p, "Dropout probability must be in [0, 1).");
        this.p = p;
    }

    public override Tensor forward(Tensor x) => training && p > 0 ? DropoutMasks.Apply(x, p) : x;
}

/// <summary>The mask generator behind <see cref="FastDropout"/> and attention dropout.</summary>
internal static class DropoutMasks
{
    private static ulong seed = 0x9E3779B97F4A7C15UL;
    private static long calls;

    /// <summary>Restarts the mask sequence (the training loop calls it with the step's seed, next to <c>manual_seed</c>).</summary>
    public static void Reseed(long value)
    {
        seed = Mix((ulong)value ^ 0x9E3779B97F4A7C15UL);
        Interlocked.Exchange(ref calls, 0);
    }

    /// <summary>x · mask / (1 − p), with mask ~ Bernoulli(1 − p) element-wise.</summary>
    public static Tensor Apply(Tensor x, double p)
    {
        if (x.device_type != DeviceType.CPU) return nn.functional.dropout(x, p, training: true);
        // The mask is written straight into a tensor's memory: no managed array, no copy.
        var mask = empty(x.shape, dtype: ScalarType.Float32);
        long length = mask.NumberOfElements;
        ulong stream = Mix(seed + (ulong)Interlocked.Increment(ref calls) * 0xD1B54A32D192ED03UL);
        // Keep (scaled by 1/(1-p)) where a 32-bit uniform clears the threshold p·2³².
        uint threshold = (uint)Math.Min(uint.MaxValue, Math.Round(p * 4294967296.0));
        float keep = (float)(1.0 / (1.0 - p));
        const int chunk = 1 << 16;
        int chunks = (int)((length + chunk - 1) / chunk);
        Parallel.For(0, chunks, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, get_num_threads()) }, c =>
        {
            int start = c * chunk, count = (int)Math.Min(chunk, length - start);
            var span = MemoryMarshal.Cast<byte, float>(mask.bytes).Slice(start, count);
            for (int i = 0; i < span.Length; i += 2)
            {
                ulong r = Mix(stream + (ulong)(start + i) * 0x9E3779B97F4A7C15UL);   // SplitMix64's sequence; one draw, two uniforms
                span[i] = (uint)r >= threshold ? keep : 0f;
                if (i + 1 < span.Length) span[i + 1] = (uint)(r >> 32) >= threshold ? keep : 0f;
            }
        });
        return x.mul(x.dtype == ScalarType.Float32 ? mask : mask.to(x.dtype));
    }

    /// <summary>SplitMix64's finaliser: a fast, well-mixed hash of a 64-bit counter.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
