using System.Security.Cryptography;
using System.Text;

namespace Microsoft.ML.Lora.Pipeline;

/// <summary>
/// Identifies a training run so that a checkpoint is resumed only by the same run: a SHA-256 over every option that changes
/// training and over every example, tokens and labels alike (each task adds its own examples, see
/// <see cref="FineTuningTask{TExample}.AddToFingerprint"/>). Values are length-prefixed, so no two sequences collide.
/// </summary>
internal sealed class RunFingerprint : IDisposable
{
    private readonly IncrementalHash hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly byte[] scratch = new byte[8];

    public RunFingerprint Add(long value)
    {
        BitConverter.TryWriteBytes(scratch, value);
        hash.AppendData(scratch);
        return this;
    }

    public RunFingerprint Add(double value) => Add(BitConverter.DoubleToInt64Bits(value));

    public RunFingerprint Add(string? value)
    {
        if (value is null) return Add(-1L);
        var bytes = Encoding.UTF8.GetBytes(value);
        Add(bytes.Length);
        hash.AppendData(bytes);
        return this;
    }

    public RunFingerprint Add(ReadOnlySpan<int> values)
    {
        Add(values.Length);
        hash.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values));
        return this;
    }

    /// <summary>The fingerprint as text (what a checkpoint records).</summary>
    public string Finish() => "sha256:" + Convert.ToHexString(hash.GetHashAndReset());

    public void Dispose() => hash.Dispose();
}
