using Microsoft.ML.Lora.Pipeline;
using Microsoft.ML.Lora.Tokenization;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Lora.TextClassification;

/// <summary>Labelled text-classification rows, tokenized once (<see cref="TextRows"/>), for training, validation and calibration.</summary>
internal static class TextClassificationRows
{
    /// <summary>
    /// Reads and tokenizes every row of <paramref name="data"/>, whose label keys must be 1 to <paramref name="classes"/>;
    /// <paramref name="what"/> names the data in messages ("training data").
    /// </summary>
    public static List<ClassificationExample> ReadLabelled(IDataView data, TextClassificationColumns columns, uint classes, TextTokenizer tokenizer,
        int maxLength, string what, IChannel ch)
    {
        var label = data.Schema[columns.Label];
        return TextRows.Read<ClassificationExample>(data, columns.Text, new[] { label }, cursor =>
        {
            var getLabel = cursor.GetGetter<uint>(label);
            uint key = 0;
            return encoded =>
            {
                getLabel(ref key);
                if (key == 0 || key > classes)
                    throw new InvalidDataException($"Row {cursor.Position} of the {what}: label column '{columns.Label}' has a missing or out-of-range key ({key}); every row needs a label.");
                return new ClassificationExample(encoded.Ids, encoded.TypeIds, (int)key - 1);
            };
        }, tokenizer, maxLength, what, ch);
    }
}
