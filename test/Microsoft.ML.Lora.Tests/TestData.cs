using System.Text;

namespace Microsoft.ML.Lora.Tests;

/// <summary>Where the tests find the real data sets: the copies the repository ships with the samples and the bench.</summary>
internal static class TestData
{
    private static readonly Lazy<string> LazyRepoRoot = new(FindRepoRoot);

    /// <summary>The repository root (the folder holding build.props).</summary>
    public static string RepoRoot => LazyRepoRoot.Value;

    /// <summary>Financial news sentiment, CSV text,label (train 9,543 rows).</summary>
    public static string SentimentTrain => Path.Combine(RepoRoot, "samples", "SentimentAnalyst", "data", "sent_train.csv");

    /// <summary>Financial news sentiment, CSV text,label (valid 2,388 rows).</summary>
    public static string SentimentValid => Path.Combine(RepoRoot, "samples", "SentimentAnalyst", "data", "sent_valid.csv");

    /// <summary>A data file by the folder names of shared/data ("sec_filings_fin", "wnut17", "twitter_financial_news_sentiment").</summary>
    public static string PathOf(params string[] parts)
    {
        string folder = parts[0] switch
        {
            "sec_filings_fin" => Path.Combine(RepoRoot, "samples", "Ner", "data"),
            "wnut17" => Path.Combine(RepoRoot, "bench", "data", "wnut17"),
            "twitter_financial_news_sentiment" => Path.Combine(RepoRoot, "samples", "SentimentAnalyst", "data"),
            _ => throw new ArgumentException($"Unknown data set '{parts[0]}'.", nameof(parts)),
        };
        return Path.Combine([folder, .. parts[1..]]);
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

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "build.props"))) return dir.FullName;
        throw new DirectoryNotFoundException($"No build.props in {AppContext.BaseDirectory} or above: the tests run from inside the repository.");
    }
}
