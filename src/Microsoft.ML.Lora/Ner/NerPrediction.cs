namespace Microsoft.ML.Lora.Ner;

/// <summary>One sentence's prediction: per word, the key of its IOB2 tag (1-based, repaired) and that tag's probability.</summary>
internal sealed record NerPrediction(uint[] Keys, float[] Confidences);
