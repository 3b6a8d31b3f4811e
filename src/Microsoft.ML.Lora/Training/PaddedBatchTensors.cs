using Microsoft.ML.Lora.Tokenization;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Training;

/// <summary>A padded batch as the tensors the encoder takes.</summary>
internal static class PaddedBatchTensors
{
    /// <summary>The ids, mask and token types as [rows, length] tensors on <paramref name="device"/>.</summary>
    public static (Tensor InputIds, Tensor AttentionMask, Tensor? TokenTypeIds) ToTensors(this PaddedBatch batch, Device device)
    {
        var shape = new long[] { batch.Rows, batch.Length };
        return (tensor(batch.InputIds, shape, device: device), tensor(batch.AttentionMask, shape, device: device),
            batch.TokenTypeIds is null ? null : tensor(batch.TokenTypeIds, shape, device: device));
    }
}
