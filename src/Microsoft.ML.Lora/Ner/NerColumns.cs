namespace Microsoft.ML.Lora.Ner;

/// <summary>The column names a NER transformer reads and writes.</summary>
internal sealed record NerColumns(string Sentence, string Label, string PredictedLabel, string Confidence);
