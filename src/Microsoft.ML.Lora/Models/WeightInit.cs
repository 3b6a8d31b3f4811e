using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Models;

internal static class WeightInit
{
    /// <summary>
    /// Hugging Face BERT's <c>_init_weights</c>: normal(0, 0.02) for Linear/Embedding, zero bias, LayerNorm (1, 0); random
    /// values from the generator of the model being built (<see cref="ParameterInit"/>).
    /// </summary>
    public static void BertInit(nn.Module module, double std = 0.02)
    {
        using var _ = no_grad();
        foreach (var (_, m) in module.named_modules().Prepend(("", module)))
        {
            switch (m)
            {
                case Linear l:
                    ParameterInit.Normal(l.weight!, 0, std);
                    l.bias?.zero_();
                    break;
                case EmbeddingTable e:
                    ParameterInit.Normal(e.weight, 0, std);
                    break;
                case LayerNorm n:
                    n.weight?.fill_(1);
                    n.bias?.zero_();
                    break;
            }
        }
    }
}
