using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;
using static Onnx.TensorProto.Types;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Onnx;

/// <summary>ONNX initializers (<see cref="TensorProto"/>, little-endian raw data) from arrays and from TorchSharp tensors.</summary>
internal static class OnnxTensors
{
    public static TensorProto Float(string name, float[] values, long[] dims, string? doc = null)
    {
        CheckCount(name, values.LongLength, dims);
        var t = new TensorProto { Name = name, DataType = (int)DataType.Float, RawData = Raw(MemoryMarshal.AsBytes(values.AsSpan())) };
        t.Dims.AddRange(dims);
        if (doc is not null) t.DocString = doc;
        return t;
    }

    public static TensorProto Int64(string name, long[] values, long[] dims)
    {
        CheckCount(name, values.LongLength, dims);
        var t = new TensorProto { Name = name, DataType = (int)DataType.Int64, RawData = Raw(MemoryMarshal.AsBytes(values.AsSpan())) };
        t.Dims.AddRange(dims);
        return t;
    }

    /// <summary>The values of <paramref name="tensor"/> as float32 on the CPU (whatever its dtype and device), row-major.</summary>
    public static float[] Values(Tensor tensor)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        return tensor.detach().to(ScalarType.Float32).cpu().contiguous().data<float>().ToArray();
    }

    private static ByteString Raw(ReadOnlySpan<byte> bytes)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("ONNX raw tensor data is little-endian; this machine is not.");
        return ByteString.CopyFrom(bytes);
    }

    private static void CheckCount(string name, long count, long[] dims)
    {
        long expected = dims.Aggregate(1L, (a, d) => a * d);
        if (count != expected)
            throw new ArgumentException($"ONNX initializer '{name}': {count} values for shape [{string.Join(", ", dims)}] ({expected} expected).");
    }
}
