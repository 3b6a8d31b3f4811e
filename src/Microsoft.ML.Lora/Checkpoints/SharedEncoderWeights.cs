using Microsoft.ML.Lora.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Checkpoints;

/// <summary>
/// One copy of a pretrained encoder's frozen weights for every model of the process built on it (PEFT's idea of many adapters
/// on one base, <c>load_adapter</c>): models loaded from the same checkpoint folder onto the same device get encoders whose
/// parameters share storage with one cached set of tensors, so N adapters cost the base once plus N adapters. Each model keeps
/// its own module tree (adapters, heads, dropout state), so models score concurrently without any shared switch.
/// </summary>
/// <remarks>
/// A shared tensor is never written: the builder gives every parameter a model trains or loads (head, <c>modules_to_save</c>,
/// a .zip's trained tensors) its own copy first (<see cref="Lease.Unshare"/>), and LoRA merges beside W0, never into it. The cache
/// holds an entry only while a model using it is alive (models hold their entry; the cache holds it weakly).
/// </remarks>
internal sealed class SharedEncoderWeights
{
    private static readonly object Gate = new();
    private static readonly Dictionary<string, WeakReference<SharedEncoderWeights>> Cache = new(StringComparer.Ordinal);

    private readonly Dictionary<string, Tensor> tensors;   // encoder state_dict name → an alias of the one copy

    private SharedEncoderWeights(Dictionary<string, Tensor> tensors, IReadOnlyList<string> newlyInitialized)
    {
        this.tensors = tensors;
        NewlyInitialized = newlyInitialized;
    }

    /// <summary>Off: every model loads its own copy (for comparisons, e.g. the memory bench).</summary>
    public static bool Enabled { get; set; } = true;

    /// <summary>The encoder tensors the checkpoint lacked (initialised once, fresh).</summary>
    public IReadOnlyList<string> NewlyInitialized { get; }

    /// <summary>Bytes of the shared tensors.</summary>
    public long Bytes => tensors.Values.Sum(t => t.numel() * t.element_size());

    /// <summary>
    /// An encoder for <paramref name="config"/> whose weights are those of <paramref name="folder"/> on <paramref name="device"/>,
    /// shared with every other model built from the same folder (and unchanged files) while one is alive.
    /// </summary>
    /// <param name="folder">The checkpoint's Hugging Face folder (its identity).</param>
    /// <param name="config">The encoder's configuration (from that folder).</param>
    /// <param name="withPooler">Build BERT's pooler.</param>
    /// <param name="device">Where the model will run; the shared tensors live there.</param>
    /// <param name="load">Loads the encoder with its weights (with the pooler, for BERT) when no model holds them yet.</param>
    public static LoadedEncoder Load(string folder, EncoderConfig config, bool withPooler, Device device, Func<bool, LoadedEncoder> load)
    {
        bool pooler = withPooler && config.Architecture == EncoderArchitecture.Bert;
        if (!Enabled)
        {
            var own = load(pooler);
            own.Encoder.to(device);
            return own;
        }
        SharedEncoderWeights shared;
        string key = Key(folder, device);
        lock (Gate)
        {
            if (!Cache.TryGetValue(key, out var weak) || !weak.TryGetTarget(out shared!))
            {
                // The superset (BERT with its pooler), so that classifiers and taggers share one copy.
                shared = FromLoaded(load(config.Architecture == EncoderArchitecture.Bert), device);
                Cache[key] = new WeakReference<SharedEncoderWeights>(shared);
            }
        }
        var (encoder, parameters) = shared.CreateEncoder(config, pooler);
        var fresh = pooler ? shared.NewlyInitialized : shared.NewlyInitialized.Where(n => !n.StartsWith("pooler.", StringComparison.Ordinal)).ToList();
        return new LoadedEncoder(encoder, fresh) { Shared = new Lease(shared, parameters) };
    }

    /// <summary>A model's hold on the shared weights: keeps them cached while the model lives, and knows which of its parameters share them.</summary>
    internal sealed class Lease
    {
        private readonly HashSet<Parameter> parameters;

        internal Lease(SharedEncoderWeights weights, HashSet<Parameter> parameters)
        {
            Weights = weights;
            this.parameters = parameters;
        }

        /// <summary>The shared weights.</summary>
        public SharedEncoderWeights Weights { get; }

        /// <summary>
        /// Gives every parameter of <paramref name="model"/> that shares storage and will be trained or overwritten by loaded
        /// weights (<c>requires_grad</c>) its own copy. Returns false when none is left shared (the lease can then be dropped).
        /// </summary>
        public bool Unshare(nn.Module model)
        {
            using var _ = no_grad();
            foreach (var (_, module) in model.named_modules())
                foreach (var (name, p) in module.named_parameters(recurse: false).ToList())
                    if (p.requires_grad && parameters.Remove(p))
                        SetParameter(module, name, new Parameter(p.detach().clone(), requires_grad: true));
            return parameters.Count > 0;
        }
    }

    private static SharedEncoderWeights FromLoaded(LoadedEncoder loaded, Device device)
    {
        try
        {
            loaded.Encoder.to(device);
            var aliases = loaded.Encoder.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().DetachFromDisposeScope(), StringComparer.Ordinal);
            return new SharedEncoderWeights(aliases, loaded.NewlyInitialized);
        }
        finally
        {
            loaded.Encoder.Dispose();   // the aliases keep the storage alive
        }
    }

    private (EncoderModel Encoder, HashSet<Parameter> Parameters) CreateEncoder(EncoderConfig config, bool withPooler)
    {
        var assigned = new HashSet<Parameter>(ReferenceEqualityComparer.Instance);
        EncoderModel encoder;
        // Built on the meta device (no memory, no initialisation cost), then pointed at the shared tensors. The default
        // device is per thread in libtorch, so other threads are unaffected.
        set_default_device(META);
        try { encoder = EncoderModel.Create(config, withPooler); }
        finally { set_default_device(CPU); }
        try
        {
            foreach (var (moduleName, module) in encoder.named_modules())
                foreach (var (name, _) in module.named_parameters(recurse: false).ToList())
                {
                    string full = moduleName.Length == 0 ? name : moduleName + "." + name;
                    if (!tensors.TryGetValue(full, out var source))
                        throw new InvalidOperationException($"The shared encoder weights have no tensor '{full}'.");
                    var shared = new Parameter(source.detach(), requires_grad: false);
                    SetParameter(module, name, shared);
                    assigned.Add(shared);
                }
            if (encoder.parameters().Any(p => p.device_type == DeviceType.META) || encoder.buffers().Any(b => b.device_type == DeviceType.META))
                throw new InvalidOperationException("An encoder tensor was left unset after sharing the base weights.");
            return (encoder, assigned);
        }
        catch
        {
            encoder.Dispose();
            throw;
        }
    }

    // The encoder's parameters all live in these three module types (the Hugging Face layout).
    internal static void SetParameter(nn.Module module, string name, Parameter value)
    {
        switch (module, name)
        {
            case (Linear l, "weight"): l.weight = value; break;
            case (Linear l, "bias"): l.bias = value; break;
            case (LayerNorm n, "weight"): n.weight = value; break;
            case (LayerNorm n, "bias"): n.bias = value; break;
            case (EmbeddingTable e, "weight"): e.weight = value; break;
            default:
                value.Dispose();
                throw new InvalidOperationException($"Cannot share parameter '{name}' of a {module.GetType().Name}.");
        }
    }

    // The folder and its files' sizes and times: a checkpoint rewritten in place is a new base.
    private static string Key(string folder, Device device)
    {
        var full = Path.GetFullPath(folder);
        var files = Directory.EnumerateFiles(full).Order(StringComparer.Ordinal)
            .Select(f => new FileInfo(f)).Select(f => $"{f.Name}:{f.Length}:{f.LastWriteTimeUtc.Ticks}");
        return $"{full}|{device}|{string.Join(";", files)}";
    }
}
