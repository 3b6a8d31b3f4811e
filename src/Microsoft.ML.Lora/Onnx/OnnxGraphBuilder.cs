using Onnx;
using static Onnx.TensorProto.Types;

namespace Microsoft.ML.Lora.Onnx;

/// <summary>
/// An ONNX graph under construction: inputs, initializers, nodes and outputs, with readable unique names. Nodes are named
/// after the module they belong to (<see cref="Scope"/>), so a viewer such as Netron shows
/// <c>bert.encoder.layer.0.attention.self/MatMul_3</c>. Operator helpers are in <c>OnnxGraphBuilder.Ops.cs</c>.
/// </summary>
internal sealed partial class OnnxGraphBuilder
{
    private readonly GraphProto graph;
    private readonly HashSet<string> names = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> int64Constants = new(StringComparer.Ordinal);
    private readonly Dictionary<float, string> floatConstants = new();
    private readonly HashSet<string> floatInitializers = new(StringComparer.Ordinal);
    private string scope = "";
    private int counter;

    public OnnxGraphBuilder(string name) => graph = new GraphProto { Name = name };

    /// <summary>Declares a graph input; <paramref name="dims"/> are symbolic names ("batch") or sizes ("3").</summary>
    public string Input(string name, DataType type, params string[] dims)
    {
        Claim(name);
        graph.Input.Add(ValueInfo(name, type, dims));
        return name;
    }

    /// <summary>Declares <paramref name="value"/> as the graph output <paramref name="name"/> (renamed through an Identity when they differ).</summary>
    public void Output(string name, string value, DataType type, IReadOnlyList<string> dims)
    {
        if (value != name)
        {
            Claim(name);
            graph.Node.Add(NewNode("Identity", new[] { value }, new[] { name }, Array.Empty<AttributeProto>()));
        }
        graph.Output.Add(ValueInfo(name, type, dims));
    }

    /// <summary>
    /// A float32 initializer named <paramref name="name"/> (a Hugging Face tensor name where there is one). A name given again
    /// (a block written twice, e.g. the last layer for a sequence and a first-token output) reuses the first initializer.
    /// </summary>
    public string Initializer(string name, float[] values, long[] dims, string? doc = null)
    {
        if (!floatInitializers.Add(name)) return name;
        Claim(name);
        graph.Initializer.Add(OnnxTensors.Float(name, values, dims, doc));
        return name;
    }

    /// <summary>A 1-D int64 constant (shapes, axes, indices); equal constants are stored once.</summary>
    public string Int64s(params long[] values)
    {
        string key = string.Join(",", values);
        if (int64Constants.TryGetValue(key, out var existing)) return existing;
        string name = Unique($"const_int64_[{key}]");
        graph.Initializer.Add(OnnxTensors.Int64(name, values, new long[] { values.Length }));
        return int64Constants[key] = name;
    }

    /// <summary>A float32 scalar constant; equal constants are stored once.</summary>
    public string Scalar(float value)
    {
        if (floatConstants.TryGetValue(value, out var existing)) return existing;
        string name = Unique(FormattableString.Invariant($"const_float_{value:R}"));
        graph.Initializer.Add(OnnxTensors.Float(name, new[] { value }, Array.Empty<long>()));
        return floatConstants[value] = name;
    }

    /// <summary>Adds a node with one output and returns the output's name.</summary>
    public string Node(string op, string[] inputs, params AttributeProto[] attributes) => Node(op, inputs, 1, attributes)[0];

    /// <summary>Adds a node with <paramref name="outputs"/> outputs and returns their names.</summary>
    public string[] Node(string op, string[] inputs, int outputs, params AttributeProto[] attributes)
    {
        string baseName = Unique(scope.Length == 0 ? op : $"{scope}/{op}");
        var outputNames = Enumerable.Range(0, outputs).Select(i => outputs == 1 ? baseName : Unique($"{baseName}:{i}")).ToArray();
        var node = NewNode(op, inputs, outputNames, attributes);
        node.Name = baseName;
        graph.Node.Add(node);
        return outputNames;
    }

    /// <summary>Names the nodes added until the returned object is disposed after <paramref name="module"/>.</summary>
    public IDisposable Scope(string module)
    {
        var previous = scope;
        scope = module;
        return new ScopeExit(() => scope = previous);
    }

    /// <summary>The graph built so far.</summary>
    public GraphProto Build() => graph;

    private static NodeProto NewNode(string op, IEnumerable<string> inputs, IEnumerable<string> outputs, IEnumerable<AttributeProto> attributes)
    {
        var node = new NodeProto { OpType = op };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        return node;
    }

    private static ValueInfoProto ValueInfo(string name, DataType type, IReadOnlyList<string> dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
            shape.Dim.Add(long.TryParse(d, out long size) ? new TensorShapeProto.Types.Dimension { DimValue = size } : new TensorShapeProto.Types.Dimension { DimParam = d });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }

    private void Claim(string name)
    {
        if (!names.Add(name)) throw new InvalidOperationException($"ONNX graph '{graph.Name}': the name '{name}' is used twice.");
    }

    private string Unique(string name)
    {
        if (names.Add(name)) return name;
        string numbered;
        do numbered = $"{name}_{++counter}"; while (!names.Add(numbered));
        return numbered;
    }

    private sealed class ScopeExit(Action exit) : IDisposable
    {
        public void Dispose() => exit();
    }
}
