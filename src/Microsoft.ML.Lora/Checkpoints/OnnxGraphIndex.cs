using System.Runtime.InteropServices;
using Onnx;

namespace Microsoft.ML.Lora.Checkpoints;

/// <summary>
/// Lookups over an ONNX graph (initializers by name, which node produces or consumes a value) so that weights can be
/// identified by how the graph uses them rather than by the ids an exporter happened to assign.
/// </summary>
internal sealed class OnnxGraphIndex
{
    private readonly Dictionary<string, TensorProto> _initializers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, NodeProto> _producers = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<NodeProto>> _consumers = new(StringComparer.Ordinal);

    public OnnxGraphIndex(GraphProto graph, string source)
    {
        Graph = graph;
        Source = source;
        foreach (var tensor in graph.Initializer)
            _initializers[tensor.Name] = tensor;
        foreach (var node in graph.Node)
        {
            foreach (string output in node.Output)
                _producers[output] = node;
            foreach (string input in node.Input)
            {
                if (input.Length == 0)
                    continue; // an omitted optional input
                if (!_consumers.TryGetValue(input, out var list))
                    _consumers[input] = list = [];
                list.Add(node);
            }
        }
    }

    public GraphProto Graph { get; }

    /// <summary>Where the graph came from, for error messages.</summary>
    public string Source { get; }

    public IEnumerable<TensorProto> Initializers => Graph.Initializer;

    public bool TryGetInitializer(string name, out TensorProto tensor) => _initializers.TryGetValue(name, out tensor!);

    public NodeProto? Producer(string value) => _producers.GetValueOrDefault(value);

    public IReadOnlyList<NodeProto> Consumers(string value) =>
        _consumers.TryGetValue(value, out var list) ? list : [];

    /// <summary>The tensor behind a value that is an initializer or the output of a Constant node; null otherwise.</summary>
    public TensorProto? ConstantTensor(string value)
    {
        if (_initializers.TryGetValue(value, out var tensor))
            return tensor;
        var node = Producer(value);
        if (node is { OpType: "Constant" })
            return node.Attribute.FirstOrDefault(a => a.Name == "value")?.T;
        return null;
    }

    public float[] ReadFloats(TensorProto tensor)
    {
        if ((TensorProto.Types.DataType)tensor.DataType != TensorProto.Types.DataType.Float)
            throw new InvalidDataException(
                $"{Source}: ONNX tensor '{tensor.Name}' has element type {(TensorProto.Types.DataType)tensor.DataType}; expected Float.");
        RejectExternalData(tensor);
        if (!tensor.RawData.IsEmpty)
        {
            RequireLittleEndian();
            return MemoryMarshal.Cast<byte, float>(tensor.RawData.Span).ToArray();
        }
        return [.. tensor.FloatData];
    }

    public long[] ReadInt64s(TensorProto tensor)
    {
        if ((TensorProto.Types.DataType)tensor.DataType != TensorProto.Types.DataType.Int64)
            throw new InvalidDataException(
                $"{Source}: ONNX tensor '{tensor.Name}' has element type {(TensorProto.Types.DataType)tensor.DataType}; expected Int64.");
        RejectExternalData(tensor);
        if (!tensor.RawData.IsEmpty)
        {
            RequireLittleEndian();
            return MemoryMarshal.Cast<byte, long>(tensor.RawData.Span).ToArray();
        }
        return [.. tensor.Int64Data];
    }

    public FloatTensorData ReadFloatTensor(TensorProto tensor) => new([.. tensor.Dims], ReadFloats(tensor));

    private void RejectExternalData(TensorProto tensor)
    {
        if (tensor.DataLocation == TensorProto.Types.DataLocation.External)
            throw new InvalidDataException(
                $"{Source}: ONNX tensor '{tensor.Name}' keeps its data in an external file, which is not supported.");
    }

    private void RequireLittleEndian()
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException($"{Source}: ONNX raw tensor data is little-endian; this machine is not.");
    }
}
