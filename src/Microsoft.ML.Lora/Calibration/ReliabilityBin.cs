namespace Microsoft.ML.Lora;

/// <summary>One confidence bin of a reliability diagram: the examples whose confidence lies in (<see cref="Lower"/>, <see cref="Upper"/>].</summary>
/// <param name="Lower">The bin's exclusive lower edge (the first bin also holds a confidence of exactly 0).</param>
/// <param name="Upper">The bin's inclusive upper edge.</param>
/// <param name="Count">Number of examples in the bin.</param>
/// <param name="MeanConfidence">Mean confidence (highest class probability) of the examples in the bin; 0 when the bin is empty.</param>
/// <param name="Accuracy">Fraction of the bin's examples whose highest-probability class is the label; 0 when the bin is empty.</param>
public sealed record ReliabilityBin(double Lower, double Upper, int Count, double MeanConfidence, double Accuracy)
{
    /// <summary>|<see cref="Accuracy"/> − <see cref="MeanConfidence"/>|, the bin's calibration gap.</summary>
    public double Gap => Math.Abs(Accuracy - MeanConfidence);
}
