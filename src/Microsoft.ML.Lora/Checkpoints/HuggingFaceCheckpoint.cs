using System.Text.Json;
using Microsoft.ML.Lora.Models;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Checkpoints;

/// <summary>
/// Reads a Hugging Face model folder: <c>config.json</c> and the weights from <c>model.safetensors</c>, a sharded
/// <c>model.safetensors.index.json</c>, or <c>pytorch_model.bin</c> (in that order of preference).
/// </summary>
internal static class HuggingFaceCheckpoint
{
    /// <summary>File names tried for the weights, best first.</summary>
    public static readonly IReadOnlyList<string> WeightFiles = new[] { "model.safetensors", "model.safetensors.index.json", "pytorch_model.bin" };

    /// <summary>Reads <c>config.json</c> of <paramref name="folder"/>.</summary>
    public static EncoderConfig ReadConfig(string folder)
    {
        CheckFolder(folder);
        var path = Path.Combine(folder, "config.json");
        if (!File.Exists(path)) throw new FileNotFoundException($"The Hugging Face folder {folder} has no config.json.", path);
        return EncoderConfig.Load(path);
    }

    /// <summary>
    /// Builds the encoder described by <paramref name="folder"/> and loads its pretrained weights. A missing file or tensor
    /// and a shape mismatch give an exception naming the file, the tensor and both shapes.
    /// </summary>
    /// <param name="folder">The Hugging Face folder.</param>
    /// <param name="addPoolingLayer">Build BERT's pooler (sequence classification). A checkpoint without pooler weights
    /// leaves it freshly initialised and reports it in <see cref="LoadedEncoder.NewlyInitialized"/>.</param>
    public static LoadedEncoder LoadEncoder(string folder, bool addPoolingLayer)
    {
        var config = ReadConfig(folder);
        CheckWeightsCanHold(folder, config);
        var encoder = EncoderModel.Create(config, addPoolingLayer && config.Architecture == EncoderArchitecture.Bert);
        try
        {
            var fresh = LoadWeights(encoder, folder);
            return new LoadedEncoder(encoder, fresh);
        }
        catch
        {
            encoder.Dispose();
            throw;
        }
    }

    /// <summary>Copies the folder's weights into <paramref name="encoder"/>; returns the encoder tensors that the checkpoint lacks (pooler only).</summary>
    /// <remarks>Safetensors files are read tensor by tensor straight into the parameters: no second copy of the weights in memory.</remarks>
    public static IReadOnlyList<string> LoadWeights(EncoderModel encoder, string folder)
    {
        using var weights = Open(folder);
        return CopyInto(encoder, weights.Tensors, weights.File);
    }

    /// <summary>
    /// The shapes of every tensor in the folder's weights, by checkpoint name, and the file that names them — from the
    /// safetensors headers (nothing loaded), or by reading a <c>pytorch_model.bin</c>.
    /// </summary>
    public static (string File, IReadOnlyDictionary<string, long[]> Shapes) ReadShapes(string folder)
    {
        using var weights = Open(folder);
        return (weights.File, weights.Tensors.ToDictionary(kv => kv.Key, kv => kv.Value.Shape, StringComparer.Ordinal));
    }

    /// <summary>Reads every tensor of the folder's weight file(s) in float32; returns the file used, the tensors and the file of each tensor.</summary>
    internal static (string File, Dictionary<string, Tensor> Tensors, Dictionary<string, string> SourceOf) ReadTensors(string folder)
    {
        using var weights = Open(folder);
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var (key, source) in weights.Tensors)
            {
                var t = empty(source.Shape, dtype: ScalarType.Float32);
                tensors[key] = t;
                source.CopyTo(t);
            }
        }
        catch
        {
            foreach (var t in tensors.Values) t.Dispose();
            throw;
        }
        return (weights.File, tensors, weights.Tensors.ToDictionary(kv => kv.Key, kv => kv.Value.File, StringComparer.Ordinal));
    }

    /// <summary>
    /// Opens the folder's weights — <c>model.safetensors</c>, a sharded index, or <c>pytorch_model.bin</c> (read whole) — as
    /// tensor sources, nothing copied yet; disposing closes the files.
    /// </summary>
    internal static CheckpointTensors Open(string folder)
    {
        CheckFolder(folder);
        var single = Path.Combine(folder, "model.safetensors");
        var index = Path.Combine(folder, "model.safetensors.index.json");
        if (File.Exists(single) || File.Exists(index))
        {
            var readers = File.Exists(single) ? new List<SafetensorsReader> { new(single) } : Shards(folder, index);
            var sources = new Dictionary<string, TensorSource>(StringComparer.Ordinal);
            foreach (var reader in readers)
                foreach (var (key, entry) in reader.Header.Tensors)
                    sources[key] = new TensorSource(entry.Shape, t => reader.CopyTo(key, t), reader.Path);
            return new CheckpointTensors(File.Exists(single) ? single : index, sources, readers);
        }
        var file = Path.Combine(folder, "pytorch_model.bin");
        if (!File.Exists(file))
            throw new FileNotFoundException($"The Hugging Face folder {folder} has no weights: expected one of {string.Join(", ", WeightFiles)}.", single);
        var tensors = ReadPickle(file);
        return new CheckpointTensors(file, tensors.ToDictionary(kv => kv.Key, kv => new TensorSource(kv.Value.shape, t => t.copy_(kv.Value), file)),
            tensors.Values.ToList());
    }

    /// <summary>A checkpoint's tensors by name, and what holds them open (readers or loaded tensors), freed together.</summary>
    internal sealed class CheckpointTensors(string file, Dictionary<string, TensorSource> tensors, IEnumerable<IDisposable> owned) : IDisposable
    {
        public string File { get; } = file;
        public IReadOnlyDictionary<string, TensorSource> Tensors { get; } = tensors;

        public void Dispose()
        {
            foreach (var o in owned) o.Dispose();
        }
    }

    /// <summary>A checkpoint tensor before it is read: its shape, how to copy it into a tensor of that shape, and its file.</summary>
    internal sealed record TensorSource(long[] Shape, Action<Tensor> CopyTo, string File);

    /// <summary>
    /// Copies <paramref name="tensors"/> (checkpoint names, with or without the <c>bert.</c>-style prefix, legacy
    /// <c>gamma</c>/<c>beta</c> accepted) into the encoder's parameters.
    /// </summary>
    internal static IReadOnlyList<string> CopyInto(EncoderModel encoder, IReadOnlyDictionary<string, TensorSource> tensors, string describe)
    {
        var byName = new Dictionary<string, string>(StringComparer.Ordinal);   // encoder-relative name → checkpoint key
        string root = encoder.Config.Names.Root + ".";
        foreach (var key in tensors.Keys)
        {
            var k = key.StartsWith(root, StringComparison.Ordinal) ? key[root.Length..] : key;
            if (k.EndsWith(".gamma", StringComparison.Ordinal)) k = k[..^6] + ".weight";
            else if (k.EndsWith(".beta", StringComparison.Ordinal)) k = k[..^5] + ".bias";
            byName.TryAdd(k, key);
        }
        var missing = new List<string>();
        using var _ = no_grad();
        foreach (var (name, param) in encoder.state_dict())
        {
            if (!byName.TryGetValue(name, out var key))
            {
                if (name.StartsWith("pooler.", StringComparison.Ordinal)) { missing.Add(name); continue; }
                throw new InvalidDataException(
                    $"{describe}: tensor '{root}{name}' (or '{name}') with shape [{string.Join(", ", param.shape)}] is missing from the checkpoint.");
            }
            var t = tensors[key];
            if (!t.Shape.SequenceEqual(param.shape))
                throw new InvalidDataException(
                    $"{t.File}: tensor '{key}' has shape [{string.Join(", ", t.Shape)}], expected [{string.Join(", ", param.shape)}] for {encoder.Config.ModelType} '{name}'.");
            t.CopyTo(param);
        }
        return missing;
    }

    /// <summary>Opens the shards a <c>model.safetensors.index.json</c> names, checking that each holds the tensors mapped to it.</summary>
    private static List<SafetensorsReader> Shards(string folder, string index)
    {
        var weightMap = WeightMap(index);
        var readers = new List<SafetensorsReader>();
        try
        {
            foreach (var shard in weightMap.Values.Distinct())
            {
                var path = Path.Combine(folder, shard);
                if (!File.Exists(path)) throw new FileNotFoundException($"{index} names shard {shard}, which is not in {folder}.", path);
                readers.Add(new SafetensorsReader(path));
            }
            foreach (var (k, shard) in weightMap)
                if (!readers.Single(r => r.Path == Path.Combine(folder, shard)).Header.Tensors.ContainsKey(k))
                    throw new InvalidDataException($"{index} maps tensor '{k}' to {shard}, which does not contain it.");
            return readers;
        }
        catch
        {
            foreach (var r in readers) r.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A config.json from a stranger must not make the process allocate what it merely declares: the folder's weight files
    /// must be large enough to hold the parameters the config implies (at 2 bytes each, the smallest dtype) before the
    /// encoder is built.
    /// </summary>
    internal static void CheckWeightsCanHold(string folder, EncoderConfig config)
    {
        long bytes = 0;
        string? file = WeightFiles.Select(f => Path.Combine(folder, f)).FirstOrDefault(File.Exists);
        if (file is null) return;   // LoadWeights names the missing files
        if (file.EndsWith(".index.json", StringComparison.Ordinal))
        {
            foreach (var shard in ShardNames(file).Distinct())
            {
                if (!File.Exists(Path.Combine(folder, shard))) return;   // Shards names the missing shard
                bytes += new FileInfo(Path.Combine(folder, shard)).Length;
            }
        }
        else bytes = new FileInfo(file).Length;
        long needed = 2 * config.MinimumParameterCount;
        if (bytes < needed)
            throw new InvalidDataException(
                $"{Path.Combine(folder, "config.json")} declares a {config.ModelType} encoder of at least {config.MinimumParameterCount:N0} parameters " +
                $"({needed / 1048576.0:N1} MiB at 2 bytes each), but {Path.GetFileName(file)} holds only {bytes / 1048576.0:N1} MiB: the config does not describe these weights.");
    }

    private static Dictionary<string, string> WeightMap(string index)
    {
        try
        {
            using var doc = JsonDocument.Parse(IO.JsonFields.ReadAllText(index));
            var map = doc.RootElement.GetProperty("weight_map").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
            foreach (var shard in map.Values)
                if (string.IsNullOrEmpty(shard) || Path.GetFileName(shard) != shard || shard is "." or "..")
                    throw new InvalidDataException($"{index}: shard name '{shard}' is not a file name in the model folder.");
            return map;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new InvalidDataException($"{index}: expected a JSON object with a 'weight_map' of tensor name → shard file ({e.Message}).", e);
        }
    }

    private static IEnumerable<string> ShardNames(string index) => WeightMap(index).Values;

    // Not PyBridge's unpickler: it allocates what the pickle declares and names no file in its errors (see PyTorchBinReader).
    private static Dictionary<string, Tensor> ReadPickle(string path) => PyTorchBinReader.Read(path);

    private static void CheckFolder(string folder)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"Hugging Face model folder not found: {folder}");
    }
}

/// <summary>An encoder with pretrained weights, and the tensors the checkpoint did not provide (initialised fresh).</summary>
internal sealed record LoadedEncoder(EncoderModel Encoder, IReadOnlyList<string> NewlyInitialized)
{
    /// <summary>The model's hold on base weights shared with other models (<see cref="SharedEncoderWeights"/>), or null for its own copy.</summary>
    public SharedEncoderWeights.Lease? Shared { get; init; }
}
