namespace Microsoft.ML.Lora.Bench;

/// <summary>The FLOP model of a BERT training step as this library computes it for sentence classification.</summary>
internal static class BertFlops
{
    /// <summary>
    /// FLOPs of one step: forward F = the first L−1 layers for every token (projections 2·(4H² + 2HI), attention 4·T·H per
    /// token) plus the last layer, which projects keys and values for every token but computes query, attention, output and
    /// feed-forward for [CLS] alone; full fine-tuning ≈ 3F (input and weight gradients), LoRA ≈ 2F (input gradients only),
    /// head-only ≈ F; checkpointing of layers adds one forward pass, checkpointing of attention the attention blocks' forward.
    /// </summary>
    public static double Step(int layers, int hidden, int intermediate, int seq, int batch, string method, GradientCheckpointing checkpointing)
    {
        double H = hidden, I = intermediate;
        double attentionPerToken = 2 * (4 * H * H) + 4 * seq * H;
        double layerPerToken = attentionPerToken + 2 * (2 * H * I);
        double lastAttention = seq * 2 * (2 * H * H) + 2 * (2 * H * H) + 4 * seq * H;
        double lastLayer = lastAttention + 2 * (2 * H * I);
        double forward = batch * (seq * (layers - 1) * layerPerToken + lastLayer);
        double attention = batch * (seq * (layers - 1) * attentionPerToken + lastAttention);
        double recomputed = method == "head" ? 0 : checkpointing switch
        {
            GradientCheckpointing.Layers => forward,
            GradientCheckpointing.Attention => attention,
            _ => 0,
        };
        return (method switch { "full" => 3 * forward, "lora" => 2 * forward, _ => forward }) + recomputed;
    }
}
