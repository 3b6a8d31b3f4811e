using Microsoft.ML.Data;

namespace Microsoft.ML.Lora.Bench;

internal static class BenchData
{
    public sealed class SentimentRow
    {
        [LoadColumn(0)] public string Text { get; set; } = "";
        [LoadColumn(1)] public float Label { get; set; }
    }

    /// <summary>The financial news sentiment CSV through ML.NET's own loader (quoted, multi-line fields).</summary>
    public static IDataView LoadSentiment(MLContext ml, string path) => ml.Data.LoadFromTextFile<SentimentRow>(path, new TextLoader.Options
    {
        HasHeader = true, Separators = new[] { ',' }, AllowQuoting = true, ReadMultilines = true,
    });

    public static string[] SentimentTexts(string path)
    {
        var ml = new MLContext();
        return LoadSentiment(ml, path).GetColumn<string>("Text").ToArray();
    }
}
