using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Models;

internal static class Activations
{
    /// <summary>The feed-forward activation named by a Hugging Face config.</summary>
    public static Func<Tensor, Tensor> Get(string hiddenAct) => hiddenAct switch
    {
        "gelu" => x => nn.functional.gelu(x),
        "gelu_new" or "gelu_pytorch_tanh" or "gelu_fast" => x => nn.functional.gelu(x, TorchSharp.Modules.GELU.Approximate.tanh),
        "relu" => x => nn.functional.relu(x),
        _ => throw new ArgumentException($"Unsupported activation '{hiddenAct}'.", nameof(hiddenAct)),
    };
}
