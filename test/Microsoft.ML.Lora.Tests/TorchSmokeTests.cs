using TorchSharp;
using Xunit;
using static TorchSharp.torch;
namespace Microsoft.ML.Lora.Tests;
public class TorchSmokeTests
{
    [Fact]
    public void Step()
    {
        var lin = nn.Linear(4, 2);
        var opt = optim.AdamW(lin.parameters(), 0.1);
        var x = randn(8, 4);
        var before = lin.weight!.clone();
        var loss = nn.functional.cross_entropy(lin.forward(x), zeros(8, dtype: ScalarType.Int64));
        loss.backward();
        opt.step();
        Assert.False(before.equal(lin.weight!).item<bool>());
    }
}
