using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.Lora.Models;

/// <summary>
/// Gradient checkpointing of one block — a whole layer (Hugging Face's <c>gradient_checkpointing_enable</c>) or a layer's
/// attention — as PyTorch's <c>torch.utils.checkpoint</c>, which TorchSharp lacks: the forward pass runs the block without
/// recording a graph and keeps only its input; the backward pass runs it again with the graph, with the same dropout masks,
/// and takes the gradients of the input and of the block's trainable parameters from that recomputation.
/// </summary>
internal sealed class GradientCheckpoint : autograd.SingleTensorFunction<GradientCheckpoint>
{
    [ThreadStatic] private static bool recomputing;
    [ThreadStatic] private static int recomputations;

    /// <summary>True while a block is being recomputed in the backward pass (state a layer caches across calls must be rebuilt).</summary>
    public static bool IsRecomputing => recomputing;

    /// <summary>Blocks recomputed on this thread so far (what tests count).</summary>
    public static int Recomputations => recomputations;

    /// <summary>
    /// <paramref name="block"/>(<paramref name="x"/>) — a whole layer or a layer's attention — in a dispose scope of its own,
    /// checkpointed when the context recomputes this <paramref name="granularity"/> and the call records a graph.
    /// <paramref name="modules"/> hold the block's weights; the prefix's, shared by every layer, are added. The scope frees
    /// the block's intermediates when it ends: with a graph that changes nothing (the graph holds what backward needs);
    /// without one (scoring, frozen layers, head-only training, a checkpointed forward) a layer's peak is its larger block
    /// rather than the sum of its blocks.
    /// </summary>
    public static Tensor Block(GradientCheckpointing granularity, LayerContext context, Func<Tensor, Tensor> block, Tensor x, params nn.Module[] modules)
    {
        using var scope = NewDisposeScope();
        return Checkpointed(granularity, context, block, x, modules).MoveToOuterDisposeScope();
    }

    private static Tensor Checkpointed(GradientCheckpointing granularity, LayerContext context, Func<Tensor, Tensor> block, Tensor x, nn.Module[] modules)
    {
        if (context.GradientCheckpointing != granularity || !modules[0].training || !is_grad_enabled()) return block(x);
        var parameters = modules.SelectMany(m => m.parameters()).Where(p => p.requires_grad).Cast<Tensor>().ToList();
        if (context.Prefix is nn.Module prefix) parameters.AddRange(prefix.parameters().Where(p => p.requires_grad));
        // Nothing to differentiate (a frozen block on a frozen input): there is no graph to save anyway.
        return parameters.Count > 0 || x.requires_grad ? Run(block, x, parameters) : block(x);
    }

    /// <inheritdoc/>
    public override string Name => nameof(GradientCheckpoint);

    /// <summary>
    /// <paramref name="layer"/>(<paramref name="x"/>) with its activations recomputed in the backward pass.
    /// <paramref name="parameters"/> are every trainable tensor the layer reads (its own and any shared ones, such as a
    /// prefix): their gradients come from the recomputation.
    /// </summary>
    private static Tensor Run(Func<Tensor, Tensor> layer, Tensor x, IReadOnlyList<Tensor> parameters)
    {
        var args = new object[2 + parameters.Count];
        args[0] = new Call(layer, DropoutMasks.State, parameters);
        args[1] = x;
        for (int i = 0; i < parameters.Count; i++) args[2 + i] = parameters[i];
        return apply(args);
    }

    /// <inheritdoc/>
    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var call = (Call)vars[0];
        var x = (Tensor)vars[1];
        ctx.save_for_backward(new List<Tensor> { x });
        ctx.save_data(nameof(Call), call);
        using var scope = NewDisposeScope();   // runs without a graph: everything but the output is freed here
        return call.Layer(x).MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad)
    {
        var call = (Call)ctx.get_data(nameof(Call));
        using var scope = NewDisposeScope();
        var x = ctx.get_saved_variables()[0];
        var input = x.detach().requires_grad_(x.requires_grad);
        var after = DropoutMasks.State;
        Tensor y;
        using (enable_grad())
        {
            DropoutMasks.Restore(call.Masks);
            recomputing = true;
            recomputations++;
            try { y = call.Layer(input); }
            finally
            {
                recomputing = false;
                DropoutMasks.Restore(after);
            }
        }
        var wrt = new List<Tensor>(call.Parameters.Count + 1);
        if (x.requires_grad) wrt.Add(input);
        wrt.AddRange(call.Parameters);
        var grads = autograd.grad(new[] { y }, wrt, new[] { grad }, allow_unused: true);
        // One gradient per argument of Run: none for the call itself, then x's, then each parameter's.
        var result = new List<Tensor> { null! };
        int g = 0;
        result.Add(x.requires_grad ? Keep(grads[g++]) : null!);
        for (int i = 0; i < call.Parameters.Count; i++) result.Add(Keep(grads[g++]));
        return result;
    }

    // An unused parameter's gradient comes back undefined (a null handle): pass it on as "no gradient".
    private static Tensor Keep(Tensor t) => t.IsInvalid ? null! : t.MoveToOuterDisposeScope();

    private sealed record Call(Func<Tensor, Tensor> Layer, DropoutState Masks, IReadOnlyList<Tensor> Parameters);
}
