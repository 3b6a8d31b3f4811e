using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Models;

/// <summary>
/// Random initialisation of parameters from the generator of the model being built. <c>manual_seed</c> seeds libtorch's one
/// process-wide generator, so two models built at once on two threads drew from the same sequence in an order that depends
/// on timing: the same seed gave different weights. The builder of a model opens <see cref="Seeded"/> on its thread; every
/// initialiser here then draws from that run's own generator. Outside such a scope (tests building modules directly) they
/// use libtorch's generator, as <c>nn.init</c> does.
/// </summary>
internal static class ParameterInit
{
    [ThreadStatic] private static Generator? current;

    /// <summary>Initialisations on this thread draw from a generator seeded with <paramref name="seed"/> until the scope is disposed.</summary>
    public static Scope Seeded(long seed)
    {
        var scope = new Scope(current, new Generator(unchecked((ulong)seed), CPU));
        current = scope.Generator;
        return scope;
    }

    /// <summary>Fills <paramref name="t"/> from N(<paramref name="mean"/>, <paramref name="std"/>²).</summary>
    public static void Normal(Tensor t, double mean, double std)
    {
        using var _ = no_grad();
        t.normal_(mean, std, For(t));
    }

    /// <summary>Fills <paramref name="t"/> from U(<paramref name="low"/>, <paramref name="high"/>).</summary>
    public static void Uniform(Tensor t, double low, double high)
    {
        using var _ = no_grad();
        t.uniform_(low, high, For(t));
    }

    /// <summary>
    /// PyTorch's <c>kaiming_uniform_(t, a)</c> (fan in, leaky ReLU gain √(2 / (1 + a²))): U(−b, b) with
    /// b = gain · √(3 / fan_in). With a = √5 — Linear's default — b = 1 / √fan_in.
    /// </summary>
    public static void KaimingUniform(Tensor t, double a)
    {
        double bound = Math.Sqrt(2.0 / (1 + a * a)) * Math.Sqrt(3.0 / FanIn(t));
        Uniform(t, -bound, bound);
    }

    /// <summary>PyTorch's default initialisation of a <c>Linear</c>: Kaiming-uniform (a = √5) weight, bias U(±1 / √fan_in).</summary>
    public static void LinearDefault(Linear linear)
    {
        var w = linear.weight ?? throw new ArgumentException("Linear has no weight.", nameof(linear));
        KaimingUniform(w, Math.Sqrt(5));
        if (linear.bias is { } b)
        {
            double bound = 1 / Math.Sqrt(FanIn(w));
            Uniform(b, -bound, bound);
        }
    }

    private static long FanIn(Tensor t)
    {
        if (t.dim() < 2) throw new ArgumentException($"Fan in needs a tensor of at least 2 dimensions, got [{string.Join(", ", t.shape)}].", nameof(t));
        return t.shape.Skip(1).Aggregate(1L, (x, y) => x * y);
    }

    // The run's generator lives on the CPU, where models are built; a tensor elsewhere draws from its device's generator.
    private static Generator? For(Tensor t) => current is { } g && t.device_type == DeviceType.CPU ? g : null;

    /// <summary>The span of a run's generator; disposing it restores the enclosing one.</summary>
    public sealed class Scope : IDisposable
    {
        private readonly Generator? previous;

        internal Scope(Generator? previous, Generator generator)
        {
            this.previous = previous;
            Generator = generator;
        }

        internal Generator Generator { get; }

        public void Dispose()
        {
            if (ReferenceEquals(current, Generator)) current = previous;
            Generator.Dispose();
        }
    }
}
