namespace Microsoft.ML.Lora.Checkpoints;

/// <summary>
/// A float32 tensor held in managed memory (row-major), so that checkpoint conversion can be done and checked
/// without the native TorchSharp library.
/// </summary>
internal sealed class FloatTensorData
{
    public FloatTensorData(long[] shape, float[] values)
    {
        long count = 1;
        foreach (long d in shape)
        {
            if (d < 0)
                throw new ArgumentException($"Tensor dimensions must be non-negative; got [{string.Join(", ", shape)}].", nameof(shape));
            count *= d;
        }
        if (count != values.Length)
            throw new ArgumentException(
                $"Shape [{string.Join(", ", shape)}] holds {count} values but {values.Length} were given.", nameof(values));
        Shape = shape;
        Values = values;
    }

    public long[] Shape { get; }

    public float[] Values { get; }

    public string ShapeText => "[" + string.Join(", ", Shape) + "]";

    /// <summary>The transpose of a matrix: ONNX MatMul keeps Linear weights as [in, out], PyTorch as [out, in].</summary>
    public FloatTensorData Transpose2D()
    {
        if (Shape.Length != 2)
            throw new InvalidOperationException($"Only a matrix can be transposed; this tensor has shape {ShapeText}.");
        int rows = checked((int)Shape[0]), cols = checked((int)Shape[1]);
        var result = new float[Values.Length];
        for (int r = 0; r < rows; r++)
        {
            int rowStart = r * cols;
            for (int c = 0; c < cols; c++)
                result[c * rows + r] = Values[rowStart + c];
        }
        return new FloatTensorData([cols, rows], result);
    }
}
