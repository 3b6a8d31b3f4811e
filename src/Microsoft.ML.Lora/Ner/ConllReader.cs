using System.Text;
using Microsoft.ML.Lora.Ner;

namespace Microsoft.ML.Lora;

/// <summary>
/// Reads CoNLL-format sequence-labelling files: one token per line, the word in the first column and the tag in the last,
/// columns separated by spaces or tabs, a blank line between sentences.
/// </summary>
/// <remarks>
/// Lines whose first column is <c>-DOCSTART-</c> are skipped and end the current sentence. Lines holding only whitespace count
/// as blank; runs of blank lines never make empty sentences; a last sentence without a blank line after it is kept.
/// Line endings may be LF or CRLF. The file is read as UTF-8.
/// </remarks>
public static class ConllReader
{
    private const string DocumentStart = "-DOCSTART-";
    private static readonly char[] ColumnSeparators = [' ', '\t'];

    /// <summary>Reads a CoNLL file.</summary>
    /// <param name="path">The file to read.</param>
    /// <param name="sourceScheme">
    /// When given, every tag is checked against this scheme and the tags are converted to IOB2
    /// first; when null, tags are returned as written, unchecked.
    /// </param>
    /// <returns>The sentences in file order.</returns>
    /// <exception cref="InvalidDataException">A line has fewer than two columns, or a tag is not valid in <paramref name="sourceScheme"/>; the message names the file and line.</exception>
    public static IReadOnlyList<ConllSentence> Read(string path, TagScheme? sourceScheme = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var reader = new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return Read(reader, path, sourceScheme);
    }

    /// <summary>Reads CoNLL text from a reader.</summary>
    /// <param name="reader">The text to read.</param>
    /// <param name="sourceName">The name of the source (a file path, say), used in error messages.</param>
    /// <param name="sourceScheme">
    /// When given, every tag is checked against this scheme and the tags are converted to IOB2; when null, tags are returned as written.
    /// </param>
    /// <returns>The sentences in input order.</returns>
    /// <exception cref="InvalidDataException">A line has fewer than two columns, or a tag is not valid in <paramref name="sourceScheme"/>; the message names the source and line.</exception>
    public static IReadOnlyList<ConllSentence> Read(TextReader reader, string sourceName, TagScheme? sourceScheme = null)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(sourceName);

        var sentences = new List<ConllSentence>();
        var words = new List<string>();
        var tags = new List<string>();
        int lineNumber = 0;
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                EndSentence();
                continue;
            }

            string[] columns = line.Split(ColumnSeparators, StringSplitOptions.RemoveEmptyEntries);
            if (columns[0] == DocumentStart)
            {
                EndSentence();
                continue;
            }

            if (columns.Length < 2)
            {
                throw new InvalidDataException(
                    $"{sourceName}:{lineNumber}: expected a word and a tag separated by spaces or tabs, but the line has one column: '{line}'.");
            }

            string tag = columns[^1];
            if (sourceScheme is TagScheme scheme && !IobTag.TryParse(tag, scheme, out _))
            {
                throw new InvalidDataException(
                    $"{sourceName}:{lineNumber}: tag '{tag}' is not valid{IobTag.SchemeSuffix(scheme)}: expected {IobTag.Expected(scheme)}.");
            }

            words.Add(columns[0]);
            tags.Add(tag);
        }

        EndSentence();
        return sentences;

        void EndSentence()
        {
            if (words.Count == 0)
            {
                return;
            }

            string[] sentenceTags = tags.ToArray();
            if (sourceScheme is TagScheme scheme)
            {
                // Every tag was checked line by line above, so the conversion cannot throw.
                sentenceTags = TagSchemeConverter.ConvertToIob2(sentenceTags, scheme);
            }

            sentences.Add(new ConllSentence(words.ToArray(), sentenceTags));
            words.Clear();
            tags.Clear();
        }
    }
}
