using Microsoft.ML.Lora.Models;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Tests.Models;

/// <summary>The encoder's lookup table computes what torch.nn.Embedding computes, values and gradients, padding row included.</summary>
public class EmbeddingTableTests
{
    [Fact]
    public void RowsAndGradientsAreTorchEmbeddings()
    {
        manual_seed(3);
        var table = randn(7, 5);
        using var reference = nn.Embedding(7, 5, padding_idx: 1);
        reference.weight = new Parameter(table.clone());
        using var ours = new EmbeddingTable(7, 5, paddingIndex: 1);
        ours.weight = new Parameter(table.clone());
        Assert.Equal(new[] { "weight" }, ours.named_parameters().Select(p => p.name));

        var ids = tensor(new long[] { 0, 1, 3, 1, 6, 3 }).reshape(2, 3);   // the padding id appears twice, 3 twice
        var expected = reference.forward(ids);
        var actual = ours.forward(ids);
        Assert.Equal(new long[] { 2, 3, 5 }, actual.shape);
        Assert.True(TensorAssert.Identical(expected, actual));

        var upstream = randn(2, 3, 5);
        (expected * upstream).sum().backward();
        (actual * upstream).sum().backward();
        Assert.True(reference.weight.grad!.abs().max().item<float>() > 0);
        Assert.True(ours.weight.grad![1].abs().max().item<float>() == 0, "the padding row took a gradient");
        Assert.InRange(TensorAssert.MaxAbsDiff(reference.weight.grad!, ours.weight.grad!), 0, 1e-6);
    }

    [Fact]
    public void OnTheMetaDeviceItHoldsNoTableAndTakesTheOneItIsGiven()
    {
        set_default_device(META);
        EmbeddingTable skeleton;
        try { skeleton = new EmbeddingTable(30522, 384, paddingIndex: 0); }
        finally { set_default_device(CPU); }
        using (skeleton)
        {
            Assert.Equal(TorchSharp.DeviceType.META, skeleton.weight.device_type);
            var shared = randn(30522, 384);
            skeleton.weight = new Parameter(shared.detach(), requires_grad: false);   // an alias: Parameter takes over the handle it is given
            var rows = skeleton.forward(tensor(new long[] { 5, 0 }));
            Assert.True(TensorAssert.Identical(shared[5], rows[0]));
            Assert.Same(skeleton.weight, skeleton.named_parameters().Single().parameter);
        }
    }
}
