using Microsoft.ML.Data;
using Microsoft.ML.Lora.Tokenization;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Lora.TextClassification;

/// <summary>Reads labelled text rows from an IDataView and tokenizes them, counting (and logging) empty and truncated rows.</summary>
internal sealed class TextClassificationDataReader(TextTokenizer tokenizer, int maxLength, LoraTextClassificationOptions options)
{
    public List<ClassificationExample> ReadLabelled(IDataView data, string what, IChannel ch)
    {
        var schema = data.Schema;
        var label = schema[options.LabelColumnName];
        var s1 = schema[options.Sentence1ColumnName];
        var s2 = options.Sentence2ColumnName is { } n ? schema[n] : (DataViewSchema.Column?)null;
        var needed = new List<DataViewSchema.Column> { label, s1 };
        if (s2 is { } c2) needed.Add(c2);
        using var cursor = data.GetRowCursor(needed);
        var getLabel = cursor.GetGetter<uint>(label);
        var get1 = cursor.GetGetter<ReadOnlyMemory<char>>(s1);
        var get2 = s2 is { } col2 ? cursor.GetGetter<ReadOnlyMemory<char>>(col2) : null;
        uint classes = (uint)((KeyDataViewType)label.Type).Count;
        var result = new List<ClassificationExample>();
        ReadOnlyMemory<char> t1 = default, t2 = default;
        uint key = 0;
        long empty = 0, truncated = 0, firstTruncated = -1;
        while (cursor.MoveNext())
        {
            getLabel(ref key);
            if (key == 0 || key > classes)
                throw new InvalidDataException($"Row {cursor.Position} of the {what}: label column '{options.LabelColumnName}' has a missing or out-of-range key ({key}); every training row needs a label.");
            get1(ref t1);
            get2?.Invoke(ref t2);
            string a = t1.ToString();
            string? b = get2 is null ? null : t2.ToString();
            if (string.IsNullOrWhiteSpace(a) && string.IsNullOrWhiteSpace(b)) empty++;
            var enc = tokenizer.Encode(a, b, maxLength);
            if (enc.Truncated && truncated++ == 0) firstTruncated = cursor.Position;
            result.Add(new ClassificationExample(enc.InputIds.ToArray(), enc.TokenTypeIds.ToArray(), (int)key - 1));
        }
        if (empty > 0) ch.Warning($"{empty} row(s) of the {what} have empty text; they are encoded as [CLS] [SEP].");
        if (truncated > 0)
            ch.Warning($"{truncated} of {result.Count} row(s) of the {what} exceed {maxLength} tokens and were truncated (first: row {firstTruncated}).");
        return result;
    }
}
