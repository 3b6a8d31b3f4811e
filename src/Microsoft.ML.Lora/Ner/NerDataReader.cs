using Microsoft.ML.Runtime;

namespace Microsoft.ML.Lora.Ner;

/// <summary>A labelled sentence: its words and one IOB2 tag per word.</summary>
internal sealed record LabelledSentence(string[] Words, string[] Tags);

/// <summary>
/// Reads labelled sentences from an IDataView: the words, the tags converted from the label scheme to IOB2, one tag per
/// word (errors name the row, the columns and both counts).
/// </summary>
internal sealed class NerDataReader(LoraNerOptions options)
{
    public List<LabelledSentence> Read(IDataView data, string what, IChannel ch)
    {
        var words = NerColumnTypes.RequireWords(data.Schema, options.SentenceColumnName, "Sentence");
        var (label, keyNames) = NerColumnTypes.RequireTags(data.Schema, options.LabelColumnName, "Label");
        using var cursor = data.GetRowCursor(new[] { words, label });
        var readWords = NerColumnTypes.WordReader(cursor, words);
        var readTags = NerColumnTypes.TagReader(cursor, label, keyNames, what);
        var result = new List<LabelledSentence>();
        long empty = 0;
        while (cursor.MoveNext())
        {
            var w = readWords();
            var tags = readTags();
            if (tags.Length != w.Length)
                throw new InvalidDataException($"Row {cursor.Position} of the {what}: {w.Length} word(s) in column '{options.SentenceColumnName}' but {tags.Length} tag(s) in column '{options.LabelColumnName}'; expected one tag per word.");
            string[] iob2;
            try { iob2 = TagSchemeConverter.ConvertToIob2(tags, options.LabelScheme); }
            catch (ArgumentException e)
            {
                throw new InvalidDataException($"Row {cursor.Position} of the {what}, column '{options.LabelColumnName}': {e.Message.Split(" (Parameter")[0]} (LabelScheme is {options.LabelScheme}).", e);
            }
            if (w.Length == 0) empty++;
            result.Add(new LabelledSentence(w, iob2));
        }
        if (empty > 0) ch.Warning($"{empty} row(s) of the {what} have no words; they add nothing to training or validation.");
        return result;
    }
}
