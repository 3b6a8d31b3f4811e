using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Training;

internal static class OptimizerFactory
{
    /// <summary>
    /// AdamW over the trainable parameters only, with no weight decay on biases and LayerNorm weights (as Hugging Face's
    /// Trainer does). Frozen parameters never enter the optimizer, so it keeps no state for them.
    /// </summary>
    public static (AdamW Optimizer, List<Parameter> Trainable) Create(nn.Module model, double learningRate, double weightDecay)
    {
        var decay = new List<Parameter>();
        var noDecay = new List<Parameter>();
        foreach (var (name, p) in model.named_parameters())
        {
            if (!p.requires_grad) continue;
            bool exempt = name.EndsWith(".bias", StringComparison.Ordinal) || name.Contains("LayerNorm", StringComparison.Ordinal)
                || name.Contains("layer_norm", StringComparison.Ordinal);
            (exempt ? noDecay : decay).Add(p);
        }
        if (decay.Count + noDecay.Count == 0) throw new InvalidOperationException("The model has no trainable parameters.");
        var groups = new List<AdamW.ParamGroup>();
        if (decay.Count > 0) groups.Add(new AdamW.ParamGroup(decay, lr: learningRate, weight_decay: weightDecay));
        if (noDecay.Count > 0) groups.Add(new AdamW.ParamGroup(noDecay, lr: learningRate, weight_decay: 0));
        return (optim.AdamW(groups, lr: learningRate), decay.Concat(noDecay).ToList());
    }
}
