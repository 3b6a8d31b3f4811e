using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Checkpoints;

/// <summary>
/// Reads tensors of a safetensors file one at a time, straight into tensors that already exist (a model's parameters):
/// loading a checkpoint then needs no second copy of the weights in memory, only the model itself.
/// </summary>
internal sealed class SafetensorsReader : IDisposable
{
    private readonly FileStream file;

    public SafetensorsReader(string path)
    {
        Path = path;
        file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
        Header = SafetensorsHeader.Read(file, path);
    }

    public string Path { get; }

    public SafetensorsHeader Header { get; }

    /// <summary>Copies tensor <paramref name="name"/> into <paramref name="target"/> (a CPU tensor of the same shape; any float type).</summary>
    /// <exception cref="InvalidDataException">The entry's dtype is unknown or its byte range does not fit its shape.</exception>
    public void CopyTo(string name, Tensor target)
    {
        var entry = Header.Tensors[name];
        var type = ScalarTypeOf(entry.DType, name);
        long elements = entry.Shape.Aggregate(1L, (a, d) => a * d);
        using var scope = NewDisposeScope();
        var buffer = target.dtype == type && target.is_contiguous() && target.device_type == TorchSharp.DeviceType.CPU
            ? target : empty(entry.Shape, dtype: type);
        if (entry.End - entry.Begin != elements * buffer.ElementSize)
            throw new InvalidDataException($"{Path}: tensor '{name}' holds {entry.End - entry.Begin} bytes, but {entry.DType} [{string.Join(", ", entry.Shape)}] needs {elements * buffer.ElementSize}.");
        file.Seek(Header.DataStart + entry.Begin, SeekOrigin.Begin);
        var bytes = buffer.bytes;
        for (int done = 0; done < bytes.Length;)
        {
            int n = file.Read(bytes[done..]);
            if (n == 0) throw new InvalidDataException($"{Path}: file ends inside tensor '{name}'.");
            done += n;
        }
        if (!ReferenceEquals(buffer, target))
            using (no_grad()) target.copy_(buffer);
    }

    public void Dispose() => file.Dispose();

    private ScalarType ScalarTypeOf(string dtype, string name) => dtype switch
    {
        "F32" => ScalarType.Float32,
        "F16" => ScalarType.Float16,
        "BF16" => ScalarType.BFloat16,
        "F64" => ScalarType.Float64,
        _ => throw new InvalidDataException($"{Path}: tensor '{name}' has dtype {dtype}; a model weight must be F32, F16, BF16 or F64."),
    };
}
