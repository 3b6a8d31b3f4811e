namespace Microsoft.ML.Lora.Ner;

/// <summary>An entity found in a tag sequence: its type and first and last token (both inclusive).</summary>
internal readonly record struct TagChunk(string Type, int Start, int End);
