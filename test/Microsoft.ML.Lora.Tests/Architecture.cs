using Microsoft.ML.Lora.Models;

namespace Microsoft.ML.Lora.Tests;

/// <summary>
/// The encoder architectures as a public enum for xunit theories (their parameters must be public; the library's
/// <see cref="EncoderArchitecture"/> is internal).
/// </summary>
public enum Architecture
{
    Bert = EncoderArchitecture.Bert,
    Roberta = EncoderArchitecture.Roberta,
    DistilBert = EncoderArchitecture.DistilBert,
}

internal static class ArchitectureExtensions
{
    public static EncoderArchitecture ToEncoder(this Architecture architecture) => (EncoderArchitecture)architecture;
}
