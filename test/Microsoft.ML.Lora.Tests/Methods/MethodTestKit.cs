using Microsoft.ML.Lora.Models;
using Microsoft.ML.Lora.Training;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Tests.Methods;

/// <summary>What every method test needs: parameter-count formulas of the tiny models and "which tensors did a step change".</summary>
internal static class MethodTestKit
{
    /// <summary>Parameters of one transformer layer (attention + its LayerNorm, feed-forward + its LayerNorm): the same for all three architectures.</summary>
    public static long LayerParameters(EncoderConfig c)
    {
        long h = c.HiddenSize, i = c.IntermediateSize;
        return 4 * (h * h + h) + 2 * 2 * h + (h * i + i) + (i * h + h);
    }

    /// <summary>The task head of <see cref="SequenceClassificationModel"/>: BERT classifier; RoBERTa dense + out_proj; DistilBERT pre_classifier + classifier.</summary>
    public static long HeadParameters(EncoderConfig c, int labels)
    {
        long h = c.HiddenSize, classifier = h * labels + labels;
        return c.Architecture == EncoderArchitecture.Bert ? classifier : h * h + h + classifier;
    }

    public static long Trainable(nn.Module model) => model.parameters().Where(p => p.requires_grad).Sum(p => p.numel());

    public static Dictionary<string, Tensor> Snapshot(nn.Module model)
        => model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());

    /// <summary>
    /// <paramref name="steps"/> AdamW steps (the training loop's optimizer: decay groups, trainable parameters only) on a
    /// random batch with one padded row. Two steps by default: zero-initialised up/B matrices give their partners a
    /// gradient only from the second step.
    /// </summary>
    public static void Train(TaskModel model, int steps = 2, double lr = 1e-2)
    {
        model.train();
        var (optimizer, _) = OptimizerFactory.Create(model, lr, weightDecay: 0.01);
        var (ids, mask) = TinyModels.Batch(model.Encoder.Config);
        var labels = tensor(new long[] { 0, 1, 2 });
        for (int s = 0; s < steps; s++)
        {
            optimizer.zero_grad();
            nn.functional.cross_entropy(model.forward(ids, mask), labels).backward();
            optimizer.step();
        }
        model.eval();
    }

    /// <summary>Every tensor <paramref name="isTrainable"/> selects has changed; every other one is bit-identical and got no gradient.</summary>
    public static void AssertOnlyTrainableChanged(Dictionary<string, Tensor> before, TaskModel model, Func<string, bool> isTrainable)
    {
        var after = model.state_dict();
        Assert.Equal(before.Keys.OrderBy(k => k), after.Keys.OrderBy(k => k));
        foreach (var (name, t) in after)
        {
            bool trainable = isTrainable(name), same = TensorAssert.Identical(before[name], t);
            Assert.True(trainable ? !same : same, $"{name}: expected {(trainable ? "a change" : "no change")}.");
        }
        foreach (var (name, p) in model.named_parameters())
        {
            Assert.Equal(isTrainable(name), p.requires_grad);
            if (!isTrainable(name)) Assert.Null(p.grad);
        }
    }

    /// <summary>Logits of <paramref name="model"/> in eval mode, without gradient, on the standard tiny batch.</summary>
    public static Tensor Logits(TaskModel model, (Tensor Ids, Tensor Mask)? batch = null)
    {
        model.eval();
        var (ids, mask) = batch ?? TinyModels.Batch(model.Encoder.Config);
        using var _ = no_grad();
        return model.forward(ids, mask).detach().clone();
    }
}
