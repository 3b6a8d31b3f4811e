using System.Text;
using Samples.Common;

namespace Microsoft.ML.Lora.Tests;

/// <summary>
/// Where the tests find the real data sets: ../shared/data beside the repository (or $LORA_DATA_DIR), through the
/// samples' and the bench's <see cref="SharedData"/>. The repository holds no copy.
/// </summary>
internal static class TestData
{
    /// <summary>The repository root (the folder holding build.props).</summary>
    public static string RepoRoot => SharedData.RepositoryRoot() ?? throw new DirectoryNotFoundException($"No build.props in {AppContext.BaseDirectory} or above: the tests run from inside the repository.");

    /// <summary>Financial news sentiment, CSV text,label (train 9,543 rows).</summary>
    public static string SentimentTrain => PathOf("twitter_financial_news_sentiment", "sent_train.csv");

    /// <summary>Financial news sentiment, CSV text,label (valid 2,388 rows).</summary>
    public static string SentimentValid => PathOf("twitter_financial_news_sentiment", "sent_valid.csv");

    /// <summary>A data file by its data set's folder in ../shared/data ("sec_filings_fin", "wnut17", ...) and its file name.</summary>
    public static string PathOf(params string[] parts)
    {
        if (parts.Length != 2) throw new ArgumentException($"Expected a data set folder and a file name, got '{string.Join('/', parts)}'.", nameof(parts));
        return SharedData.PathOf(parts[0], parts[1]);
    }

    /// <summary>Validation split of the financial news sentiment data (the tokenizer parity set).</summary>
    public static string FinancialNewsValidationCsv => SentimentValid;

    /// <summary>Reads the rows of <see cref="FinancialNewsValidationCsv"/> (header skipped).</summary>
    public static IReadOnlyList<(string Text, int Label)> ReadFinancialNewsValidation()
    {
        string path = FinancialNewsValidationCsv;
        List<string[]> records = ReadCsv(path);
        if (records.Count == 0 || records[0].Length != 2 || records[0][0] != "text" || records[0][1] != "label")
        {
            throw new InvalidDataException($"'{path}': expected the header 'text,label'.");
        }

        var rows = new List<(string, int)>(records.Count - 1);
        for (int r = 1; r < records.Count; r++)
        {
            if (records[r].Length != 2 || !int.TryParse(records[r][1], out int label))
            {
                throw new InvalidDataException($"'{path}' record {r}: expected 'text,label', got {records[r].Length} fields.");
            }

            rows.Add((records[r][0], label));
        }

        return rows;
    }

    /// <summary>RFC 4180 CSV: quoted fields may hold commas, line breaks and doubled quotes.</summary>
    public static List<string[]> ReadCsv(string path)
    {
        string content = File.ReadAllText(path, Encoding.UTF8);
        var records = new List<string[]>();
        var fields = new List<string>();
        var field = new StringBuilder();
        bool quoted = false;
        bool fieldStarted = false;
        for (int i = 0; i < content.Length; i++)
        {
            char c = content[i];
            if (quoted)
            {
                if (c == '"')
                {
                    if (i + 1 < content.Length && content[i + 1] == '"')
                    {
                        field.Append('"');
                        i++;
                    }
                    else
                    {
                        quoted = false;
                    }
                }
                else
                {
                    field.Append(c);
                }
            }
            else if (c == '"' && field.Length == 0)
            {
                quoted = true;
                fieldStarted = true;
            }
            else if (c == ',')
            {
                fields.Add(field.ToString());
                field.Clear();
                fieldStarted = true;
            }
            else if (c is '\r' or '\n')
            {
                if (c == '\r' && i + 1 < content.Length && content[i + 1] == '\n')
                {
                    i++;
                }

                if (fieldStarted || field.Length > 0 || fields.Count > 0)
                {
                    fields.Add(field.ToString());
                    records.Add(fields.ToArray());
                }

                fields.Clear();
                field.Clear();
                fieldStarted = false;
            }
            else
            {
                field.Append(c);
                fieldStarted = true;
            }
        }

        if (quoted)
        {
            throw new InvalidDataException($"'{path}': a quoted field is not closed at the end of the file.");
        }

        if (fieldStarted || field.Length > 0 || fields.Count > 0)
        {
            fields.Add(field.ToString());
            records.Add(fields.ToArray());
        }

        return records;
    }
}
