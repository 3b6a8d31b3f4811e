using Onnx;
using static Onnx.AttributeProto.Types;

namespace Microsoft.ML.Lora.Onnx;

/// <summary>Node attributes (<see cref="AttributeProto"/>) by kind.</summary>
internal static class OnnxAttributes
{
    public static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeType.Int, I = value };

    public static AttributeProto Float(string name, float value) => new() { Name = name, Type = AttributeType.Float, F = value };

    public static AttributeProto Ints(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }
}
