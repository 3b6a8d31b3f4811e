using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Models;

/// <summary>
/// Dropout whose CPU mask comes from a counter-based generator filled in parallel (<see cref="DropoutKernel"/>). libtorch's
/// CPU generator is serial and costs ~10 ms per [2048, 384] mask on this kind of machine — with BERT's five dropouts per
/// layer that was a third of a training step. Masks depend only on the seed set for the step and the order of the calls,
/// so runs stay reproducible.
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

/// <summary>A position in the dropout mask sequence.</summary>
internal readonly record struct DropoutState(ulong Seed, long Calls);

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

    /// <summary>Where the mask sequence stands; gradient checkpointing restores it to recompute a layer with the masks of its forward pass.</summary>
    public static DropoutState State => new(Seed, calls);

    /// <summary>Continues the mask sequence from <paramref name="state"/> (see <see cref="State"/>).</summary>
    public static void Restore(DropoutState state)
    {
        seedXorGolden = state.Seed ^ Golden;
        calls = state.Calls;
    }

    /// <summary>x · mask / (1 − p), with mask ~ Bernoulli(1 − p) element-wise.</summary>
    public static Tensor Apply(Tensor x, double p)
    {
        ulong stream = Mix(Seed + (ulong)++calls * 0xD1B54A32D192ED03UL);
        if (x.device_type == DeviceType.CPU)
        {
            using var mask = DropoutKernel.ScaledMask(x, p, stream);
            return x.mul(mask);
        }
        // On the device, from a generator seeded by the same stream, so a recomputed layer draws the same mask.
        using var scope = NewDisposeScope();
        using var generator = new Generator(stream, x.device);
        var keep = rand(x.shape, generator: generator, device: x.device).ge_(p);
        return x.mul(keep.to(x.dtype).mul_(1.0 / (1.0 - p))).MoveToOuterDisposeScope();
    }

    private static ulong Mix(ulong z) => DropoutKernel.Mix(z);
}
