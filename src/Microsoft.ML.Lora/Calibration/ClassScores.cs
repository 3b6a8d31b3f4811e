using System.Globalization;

namespace Microsoft.ML.Lora.Calibration;

/// <summary>
/// Checks and flattens row-per-example class scores (logits or probabilities) and their labels, with messages that name
/// the offending row.
/// </summary>
internal static class ClassScores
{
    internal static void Validate(ReadOnlySpan<float> scores, int classCount, ReadOnlySpan<int> labels, string scoresName, bool probabilities)
    {
        if (classCount < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(classCount), classCount, "Expected at least 2 classes.");
        }

        if (labels.Length == 0)
        {
            throw new ArgumentException("Expected at least one example; got no labels.", nameof(labels));
        }

        if (scores.Length != (long)labels.Length * classCount)
        {
            throw new ArgumentException(
                $"Got {scores.Length} {scoresName} values for {labels.Length} labels and {classCount} classes; expected {(long)labels.Length * classCount} (one row of {classCount} per label).",
                scoresName);
        }

        for (int row = 0; row < labels.Length; row++)
        {
            int label = labels[row];
            if ((uint)label >= (uint)classCount)
            {
                throw new ArgumentException($"Label {label} at row {row} is outside [0, {classCount}).", nameof(labels));
            }

            ReadOnlySpan<float> values = scores.Slice(row * classCount, classCount);
            for (int c = 0; c < classCount; c++)
            {
                float value = values[c];
                if (!float.IsFinite(value))
                {
                    throw new ArgumentException($"Row {row}, class {c} of {scoresName} is {value.ToString(CultureInfo.InvariantCulture)}; expected a finite number.", scoresName);
                }

                if (probabilities && (value < 0 || value > 1))
                {
                    throw new ArgumentException($"Row {row}, class {c} of {scoresName} is {value.ToString(CultureInfo.InvariantCulture)}; expected a probability in [0, 1].", scoresName);
                }
            }
        }
    }

    /// <summary>Copies rows of equal length into one row-major array.</summary>
    internal static float[] Flatten(IReadOnlyList<float[]> rows, string rowsName, out int classCount)
    {
        ArgumentNullException.ThrowIfNull(rows, rowsName);
        if (rows.Count == 0)
        {
            throw new ArgumentException("Expected at least one row.", rowsName);
        }

        classCount = rows[0]?.Length ?? 0;
        var flat = new float[(long)rows.Count * classCount];
        for (int row = 0; row < rows.Count; row++)
        {
            float[]? values = rows[row];
            if (values is null || values.Length != classCount)
            {
                throw new ArgumentException(
                    $"Row {row} of {rowsName} has {values?.Length.ToString() ?? "no"} values; expected {classCount} like row 0.", rowsName);
            }

            values.CopyTo(flat, row * classCount);
        }

        return flat;
    }

    internal static int[] ToArray(IReadOnlyList<int> labels, string labelsName)
    {
        ArgumentNullException.ThrowIfNull(labels, labelsName);
        return labels as int[] ?? labels.ToArray();
    }
}
