using static Microsoft.ML.Lora.Onnx.OnnxAttributes;
using static Onnx.TensorProto.Types;

namespace Microsoft.ML.Lora.Onnx;

/// <summary>The ONNX operators (opset 17) the exported encoders and heads use, one line each.</summary>
internal sealed partial class OnnxGraphBuilder
{
    /// <summary>The operator set the exported graphs need (17 brings LayerNormalization).</summary>
    public const int Opset = 17;

    public string MatMul(string a, string b) => Node("MatMul", new[] { a, b });
    public string Add(string a, string b) => Node("Add", new[] { a, b });
    public string Sub(string a, string b) => Node("Sub", new[] { a, b });
    public string Mul(string a, string b) => Node("Mul", new[] { a, b });
    public string Div(string a, string b) => Node("Div", new[] { a, b });
    public string Max(string a, string b) => Node("Max", new[] { a, b });
    public string Sqrt(string x) => Node("Sqrt", new[] { x });
    public string ReduceSum(string x, long axis, bool keepDims) => Node("ReduceSum", new[] { x, Int64s(axis) }, Int("keepdims", keepDims ? 1 : 0));
    public string Tanh(string x) => Node("Tanh", new[] { x });
    public string Relu(string x) => Node("Relu", new[] { x });
    public string Erf(string x) => Node("Erf", new[] { x });
    public string Not(string x) => Node("Not", new[] { x });
    public string Equal(string a, string b) => Node("Equal", new[] { a, b });
    public string Cast(string x, DataType to) => Node("Cast", new[] { x }, Int("to", (long)to));
    public string Softmax(string x, long axis = -1) => Node("Softmax", new[] { x }, Int("axis", axis));
    public string Transpose(string x, params long[] perm) => Node("Transpose", new[] { x }, Ints("perm", perm));

    /// <summary>Reshape; a 0 in <paramref name="shape"/> keeps that dimension of the input, -1 infers one.</summary>
    public string Reshape(string x, params long[] shape) => Node("Reshape", new[] { x, Int64s(shape) });

    public string Gather(string data, string indices, long axis = 0) => Node("Gather", new[] { data, indices }, Int("axis", axis));
    public string CumSum(string x, long axis) => Node("CumSum", new[] { x, Int64s(axis) });
    public string Concat(long axis, params string[] inputs) => Node("Concat", inputs, Int("axis", axis));
    public string Expand(string x, string shape) => Node("Expand", new[] { x, shape });
    public string Unsqueeze(string x, params long[] axes) => Node("Unsqueeze", new[] { x, Int64s(axes) });
    public string Squeeze(string x, params long[] axes) => Node("Squeeze", new[] { x, Int64s(axes) });

    /// <summary>Dimensions [<paramref name="start"/>, <paramref name="end"/>) of the shape of <paramref name="x"/>, a 1-D int64 tensor.</summary>
    public string Shape(string x, long start, long end) => Node("Shape", new[] { x }, Int("start", start), Int("end", end));

    /// <summary>x[start:end] along <paramref name="axis"/>; <paramref name="end"/> is the name of a 1-D int64 tensor.</summary>
    public string Slice(string x, long start, string end, long axis) => Node("Slice", new[] { x, Int64s(start), end, Int64s(axis) });

    /// <summary>x[start:end] along <paramref name="axis"/>, with constant bounds.</summary>
    public string Slice(string x, long start, long end, long axis) => Slice(x, start, Int64s(end), axis);

    /// <summary>LayerNormalization over the last axis (opset 17).</summary>
    public string LayerNormalization(string x, string scale, string bias, double epsilon)
        => Node("LayerNormalization", new[] { x, scale, bias }, Int("axis", -1), Float("epsilon", (float)epsilon));
}
