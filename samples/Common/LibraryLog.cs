using System.Text.RegularExpressions;
using Microsoft.ML;
using Microsoft.ML.Runtime;

namespace Samples.Common;

/// <summary>
/// Shows what Microsoft.ML.Lora tells ML.NET's log (truncated rows, the base model, trainable parameters, the temperature,
/// the restored best epoch, ...) and every warning, but not ML.NET's chatter nor the loop's copies of progress reports,
/// which <see cref="TrainingProgressBar"/> already shows (nor its per-epoch summaries: the bar prints those too).
/// </summary>
public static partial class LibraryLog
{
    // The loop's "Epoch 2/3: train loss ..." line; the bar prints its own epoch lines.
    [GeneratedRegex(@"^Epoch \d+/\d+: ")]
    private static partial Regex EpochSummaryPattern();

    private static readonly Regex EpochSummary = EpochSummaryPattern();

    /// <summary>Subscribes to <paramref name="mlContext"/>'s log; lines go through <paramref name="bar"/> so they print above it.</summary>
    public static void Attach(MLContext mlContext, TrainingProgressBar bar)
    {
        mlContext.Log += (_, e) =>
        {
            bool fromLibrary = e.Source.Contains("Lora", StringComparison.Ordinal) || e.Source.Contains("FineTuning", StringComparison.Ordinal);
            bool show = e.Kind is ChannelMessageKind.Warning or ChannelMessageKind.Error || (fromLibrary && e.Kind == ChannelMessageKind.Info);
            if (!show || e.RawMessage == bar.LastReportText || EpochSummary.IsMatch(e.RawMessage)) return;
            bar.WriteLine((e.Kind == ChannelMessageKind.Info ? "  " : "  warning: ") + e.RawMessage);
        };
    }
}
