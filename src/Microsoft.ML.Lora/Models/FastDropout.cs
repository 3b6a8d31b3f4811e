using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Models;

/// <summary>
/// Dropout whose CPU mask comes from a counter-based generator filled in parallel. libtorch's CPU generator is serial and
/// costs ~10 ms per [2048, 384] mask on this kind of machine — with BERT's five dropouts per layer that was a third of a
/// training step. Masks depend only on the seed set for the step and the order of the calls, so runs stay reproducible.
/// On other devices the mask is drawn on the device from a generator seeded by the same sequence.
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

/// <summary>
/// The mask generator behind <see cref="FastDropout"/> and attention dropout. Its state is per thread: a training step runs
/// its forward pass on the thread that calls it, and the loop reseeds the sequence at every step, so two trainings on two
/// threads never draw from one sequence (a process-wide one made the same seed give different models when two Fits ran at
/// once, depending on how their calls interleaved).
/// </summary>
internal static class DropoutMasks
{
    private const ulong Golden = 0x9E3779B97F4A7C15UL;

    // Stored XOR Golden so that a thread that never reseeds starts from Golden (a ThreadStatic field starts at zero).
    [ThreadStatic] private static ulong seedXorGolden;
    [ThreadStatic] private static long calls;

    private static ulong Seed => seedXorGolden ^ Golden;

    /// <summary>Restarts this thread's mask sequence (the training loop calls it with the step's seed).</summary>
    public static void Reseed(long value)
    {
        seedXorGolden = Mix((ulong)value ^ Golden) ^ Golden;
        calls = 0;
    }

    /// <summary>x · mask / (1 − p), with mask ~ Bernoulli(1 − p) element-wise.</summary>
    public static Tensor Apply(Tensor x, double p)
    {
        ulong stream = Mix(Seed + (ulong)++calls * 0xD1B54A32D192ED03UL);
        if (x.device_type != DeviceType.CPU)
        {
            // On the device, from a generator seeded by the same stream (libtorch's own dropout would draw from the device's
            // process-wide generator).
            using var scope = NewDisposeScope();
            using var generator = new Generator(stream, x.device);
            var keepMask = rand(x.shape, generator: generator, device: x.device).ge_(p);
            return x.mul(keepMask.to(x.dtype).mul_(1.0 / (1.0 - p))).MoveToOuterDisposeScope();
        }
        // The mask is written straight into a tensor's memory: no managed array, no copy.
        var mask = empty(x.shape, dtype: ScalarType.Float32);
        long length = mask.NumberOfElements;
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
