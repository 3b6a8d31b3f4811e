namespace Microsoft.ML.Lora.Bench;

/// <summary>The FLOP model of a BERT training step as this library computes it for sentence classification.</summary>
internal static class BertFlops
{
    /// <summary>
    /// FLOPs of one step: forward F = the first L−1 layers for every token (projections 2·(4H² + 2HI), attention 4·T·H per
    /// token) plus the last layer, which projects keys and values for every token but computes query, attention, output and
    /// feed-forward for [CLS] alone; full fine-tuning ≈ 3F (input and weight gradients), LoRA ≈ 2F (input gradients only),
    /// head-only ≈ F; gradient checkpointing adds one forward pass.
    /// </summary>
    public static double Step(int layers, int hidden, int intermediate, int seq, int batch, string method, bool checkpointing)
    {
        double H = hidden, I = intermediate;
        double layerPerToken = 2 * (4 * H * H + 2 * H * I) + 4 * seq * H;
        double lastLayer = seq * 2 * (2 * H * H) + 2 * (2 * H * H + 2 * H * I) + 4 * seq * H;
        double forward = batch * (seq * (layers - 1) * layerPerToken + lastLayer);
        return (method switch { "full" => 3 * forward, "lora" => 2 * forward, _ => forward }) + (checkpointing ? forward : 0);
    }
}
