using System.Text;

namespace Microsoft.ML.Lora.Tests;

/// <summary>
/// The one place that knows where the test data sets are. Set LORA_TEST_DATA to a folder to override; otherwise
/// the first <c>shared/data</c> found beside an ancestor of the test binaries is used (the workplace keeps
/// shared/ next to the repository clone).
/// </summary>
internal static class TestData
{
    private static readonly Lazy<string> Root = new(FindRoot);

    /// <summary>The folder holding the data sets (README.md of shared/data describes them).</summary>
    public static string DataRoot => Root.Value;

    /// <summary>Validation split of the Twitter financial news sentiment data: CSV <c>text,label</c>, 2,388 rows.</summary>
    public static string FinancialNewsValidationCsv =>
        Path.Combine(DataRoot, "twitter_financial_news_sentiment", "sent_valid.csv");

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

    private static string FindRoot()
    {
        string? configured = Environment.GetEnvironmentVariable("LORA_TEST_DATA");
        if (!string.IsNullOrEmpty(configured))
        {
            return configured;
        }

        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "shared", "data");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        return "/work/shared/data";
    }
}
